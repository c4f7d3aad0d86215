rule python_pty_shell
{
  meta:
    id = "python-pty-shell"
    severity = "high"
    kind = "threat"
    description = "Python that connects a socket, duplicates it over stdin/stdout/stderr and starts a shell: a Python reverse shell"
    reference = ""
    author = "mcp-assay"
    version = 1
  strings:
    $socket = "socket.socket(" nocase
    $dup2 = /os\.dup2\([A-Za-z_]{1,20}\.fileno\(\),\s{0,2}[012]\)/
    $pty = /pty\.spawn\(\s{0,4}['"](\/bin\/)?(ba|z)?sh['"]/
    $subprocess = /subprocess\.(call|Popen|run)\(\s{0,4}\[\s{0,4}['"](\/bin\/)?(ba|z)?sh['"]/
  condition:
    $socket and #dup2 >= 2 and ($pty or $subprocess)
}
