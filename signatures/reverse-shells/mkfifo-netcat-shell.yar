rule mkfifo_netcat_shell
{
  meta:
    id = "mkfifo-netcat-shell"
    severity = "critical"
    kind = "threat"
    description = "Named pipe wired between a shell and netcat or openssl: the mkfifo reverse-shell one-liner"
    reference = ""
    author = "mcp-assay"
    version = 1
  strings:
    $fifo = /mkfifo[ \t]{1,4}[^\n;]{1,64};[^\n]{0,120}(\/bin\/)?(ba)?sh[ \t]{1,4}-i[^\n]{0,80}\|[ \t]{0,4}(nc|ncat|netcat|openssl s_client|telnet)\b/
    $fifo_rev = /mkfifo[ \t]{1,4}[^\n;]{1,64};[^\n]{0,120}\b(nc|ncat|netcat|telnet)[ \t][^\n]{0,80}\|[ \t]{0,4}(\/bin\/)?(ba)?sh\b/
  condition:
    any of them
}
