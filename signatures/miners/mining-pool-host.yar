rule mining_pool_host
{
  meta:
    id = "mining-pool-host"
    severity = "high"
    kind = "threat"
    description = "Host name of a public cryptocurrency mining pool"
    reference = ""
    author = "mcp-assay"
    version = 1
  strings:
    $p1 = /\b(pool\.)?supportxmr\.com/ nocase
    $p2 = /\b[a-z0-9\-]{1,40}\.nanopool\.org/ nocase
    $p3 = /\b[a-z0-9\-]{1,40}\.2miners\.com/ nocase
    $p4 = /\b[a-z0-9\-]{1,40}\.f2pool\.com/ nocase
    $p5 = /\b[a-z0-9\-]{1,40}\.moneroocean\.stream/ nocase
    $p6 = /\b[a-z0-9\-]{1,40}\.hashvault\.pro/ nocase
    $p7 = /\b[a-z0-9\-]{1,40}\.herominers\.com/ nocase
    $p8 = /\b[a-z0-9\-]{1,40}\.minergate\.com/ nocase
    $p9 = /\b[a-z0-9\-]{1,40}\.c3pool\.(com|org)/ nocase
    $p10 = /\b[a-z0-9\-]{1,40}\.nicehash\.com:[0-9]{2,5}/ nocase
    $p11 = /\b[a-z0-9\-]{1,40}\.unmineable\.com/ nocase
    $p12 = /\b[a-z0-9\-]{1,40}\.ethermine\.org/ nocase
    $p13 = /\bpool\.minexmr\.com/ nocase
    $p14 = /\b[a-z0-9\-]{1,40}\.xmrpool\.eu/ nocase
  condition:
    any of them
}
