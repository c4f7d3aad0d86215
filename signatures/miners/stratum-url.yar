rule stratum_url
{
  meta:
    id = "stratum-url"
    severity = "high"
    kind = "threat"
    description = "Stratum mining-protocol URL: the code connects to a cryptocurrency mining pool"
    reference = "https://en.bitcoin.it/wiki/Stratum_mining_protocol"
    author = "mcp-assay"
    version = 1
  strings:
    $stratum = /stratum2?(\+(tcp|ssl|tls))?:\/\/[A-Za-z0-9.\-]{3,64}(:[0-9]{2,5})?/ nocase
  condition:
    $stratum
}
