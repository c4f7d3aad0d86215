rule bash_dev_tcp
{
  meta:
    id = "bash-dev-tcp"
    severity = "critical"
    kind = "threat"
    description = "Interactive shell redirected to /dev/tcp: a bash reverse shell (plain port checks against /dev/tcp are not matched)"
    reference = "https://www.gnu.org/software/bash/manual/html_node/Redirections.html"
    author = "mcp-assay"
    version = 1
  strings:
    $interactive = /(ba)?sh[ \t]{1,4}-i[ \t]{1,4}[0-9]?>&[ \t]{0,4}\/dev\/(tcp|udp)\/[A-Za-z0-9.\-]{1,64}\/[0-9]{1,5}/
    $fd_dup = /\/dev\/(tcp|udp)\/[A-Za-z0-9.\-]{1,64}\/[0-9]{1,5}[ \t]{0,4}0>&1/
    $exec_fd = /exec[ \t]{1,4}[0-9]{1,3}<>[ \t]{0,4}\/dev\/tcp\/[A-Za-z0-9.\-]{1,64}\/[0-9]{1,5}/
  condition:
    any of them
}
