rule netcat_exec_shell
{
  meta:
    id = "netcat-exec-shell"
    severity = "critical"
    kind = "threat"
    description = "netcat started with -e/-c and a shell: a reverse or bind shell"
    reference = ""
    author = "mcp-assay"
    version = 2
  strings:
    // The shell's path is required so that `/bin/` (or `/usr/bin/`) is the atom: `nc` and `sh` alone are
    // too short to search for. A bare `-e sh` is no longer matched; real one-liners name the path.
    $nc = /\b(nc|ncat|netcat)(\.traditional|\.openbsd)?[ \t]{1,8}([^\n;|&]{0,80}[ \t])?-[a-z]{0,4}[ec][ \t]{1,4}['"]?(\/bin\/|\/usr\/bin\/)(ba|z|da)?sh\b/
    // `cmd.exe` after any blank run, or `-e cmd` with one blank spelled out: each alternative holds a
    // 4-byte atom. `-e` then several blanks then a bare `cmd` is no longer matched.
    $nc_cmd = /\b(nc|ncat|netcat)(\.exe)?[ \t]{1,8}([^\n;|&]{0,80}[ \t])?(-e[ \t]{1,4}cmd\.exe|-e cmd|-e\tcmd)\b/ nocase
  condition:
    any of them
}
