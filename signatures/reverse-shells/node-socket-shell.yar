rule node_socket_shell
{
  meta:
    id = "node-socket-shell"
    severity = "high"
    kind = "threat"
    description = "JavaScript that connects a TCP socket and pipes it into a spawned shell: a Node.js reverse shell"
    reference = ""
    author = "mcp-assay"
    version = 1
  strings:
    $connect = /(new net\.Socket\(\)|net\.connect\(|net\.createConnection\(|\.connect\([0-9]{2,5},)/
    $spawn_sh = /spawn\(\s{0,4}['"`](\/bin\/)?(ba|z)?sh['"`]/
    $spawn_cmd = /spawn\(\s{0,4}['"`](cmd\.exe|powershell(\.exe)?)['"`]/ nocase
    $pipe_in = /\.pipe\([A-Za-z_$][A-Za-z0-9_$]{0,40}\.stdin\)/
    $pipe_out = /\.stdout\.pipe\([A-Za-z_$][A-Za-z0-9_$]{0,40}\)/
  condition:
    $connect and ($spawn_sh or $spawn_cmd) and $pipe_in and $pipe_out
}
