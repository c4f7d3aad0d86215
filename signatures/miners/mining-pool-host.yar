rule mining_pool_host
{
  meta:
    id = "mining-pool-host"
    severity = "high"
    kind = "threat"
    description = "Host name of a public cryptocurrency mining pool"
    reference = ""
    author = "mcp-assay"
    version = 2
  strings:
    // Lower case only, as in dynamic-dns-host: `nocase` on fourteen host patterns was among the costliest
    // parts of the library on YARA-X. An upper-case pool host escapes these patterns.
    $p1 = /\b(pool\.)?supportxmr\.com/
    $p2 = /\b[a-z0-9\-]{1,40}\.nanopool\.org/
    $p3 = /\b[a-z0-9\-]{1,40}\.2miners\.com/
    $p4 = /\b[a-z0-9\-]{1,40}\.f2pool\.com/
    $p5 = /\b[a-z0-9\-]{1,40}\.moneroocean\.stream/
    $p6 = /\b[a-z0-9\-]{1,40}\.hashvault\.pro/
    $p7 = /\b[a-z0-9\-]{1,40}\.herominers\.com/
    $p8 = /\b[a-z0-9\-]{1,40}\.minergate\.com/
    $p9 = /\b[a-z0-9\-]{1,40}\.c3pool\.(com|org)/
    $p10 = /\b[a-z0-9\-]{1,40}\.nicehash\.com:[0-9]{2,5}/
    $p11 = /\b[a-z0-9\-]{1,40}\.unmineable\.com/
    $p12 = /\b[a-z0-9\-]{1,40}\.ethermine\.org/
    $p13 = /\bpool\.minexmr\.com/
    $p14 = /\b[a-z0-9\-]{1,40}\.xmrpool\.eu/
  condition:
    any of them
}
