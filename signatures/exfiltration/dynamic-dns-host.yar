rule dynamic_dns_host
{
  meta:
    id = "dynamic-dns-host"
    severity = "low"
    kind = "threat"
    description = "Host under a free dynamic-DNS provider (DuckDNS, No-IP, Dynu, afraid.org): cheap, disposable names favoured by command-and-control servers"
    reference = ""
    author = "mcp-assay"
    version = 1
  strings:
    $ddns = /[a-z0-9\-]{1,63}\.(duckdns\.org|ddns\.net|hopto\.org|zapto\.org|sytes\.net|servehttp\.com|serveftp\.com|no-ip\.(org|biz|info)|myftp\.(biz|org)|dynu\.net|mooo\.com|chickenkiller\.com|freeddns\.org|ddnsking\.com|3utilities\.com)\b/ nocase
  condition:
    $ddns
}
