rule dynamic_dns_host
{
  meta:
    id = "dynamic-dns-host"
    severity = "low"
    kind = "threat"
    description = "Host under a free dynamic-DNS provider (DuckDNS, No-IP, Dynu, afraid.org): cheap, disposable names favoured by command-and-control servers"
    reference = ""
    author = "mcp-assay"
    version = 2
  strings:
    // Lower case only: `nocase` made this pattern about 3.5 times as costly on YARA-X (measured). A host
    // written in upper case escapes it; DNS is case-blind, so that evasion is possible, and accepted here.
    $ddns = /[a-z0-9\-]{1,63}\.(duckdns\.org|ddns\.net|hopto\.org|zapto\.org|sytes\.net|servehttp\.com|serveftp\.com|no-ip\.(org|biz|info)|myftp\.(biz|org)|dynu\.net|mooo\.com|chickenkiller\.com|freeddns\.org|ddnsking\.com|3utilities\.com)\b/
  condition:
    $ddns
}
