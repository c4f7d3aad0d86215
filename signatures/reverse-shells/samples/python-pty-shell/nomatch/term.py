# Benign: local pseudo-terminal for a shell tool
import os, pty
pid, fd = pty.fork()
pty.spawn("/bin/bash")
