rule raw_ip_url
{
  meta:
    id = "raw-ip-url"
    severity = "low"
    kind = "threat"
    description = "URL whose host is a public IPv4 address (loopback, private and link-local-free ranges excluded as far as a pattern can): endpoints without a domain are typical of command-and-control and payload servers"
    reference = ""
    author = "mcp-assay"
    version = 1
  strings:
    $public = /https?:\/\/([1-9]|1[1-9]|[2-9][0-9]|1[01][0-9]|12[0-6]|12[89]|1[3-6][0-9]|17[013-9]|18[0-9]|19[013-9]|2[01][0-9]|22[0-3])\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}(:[0-9]{1,5})?[\/'"`]/
    $not_172_16 = /https?:\/\/172\.([0-9]|1[0-5]|3[2-9]|[4-9][0-9]|[12][0-9][0-9])\.[0-9]{1,3}\.[0-9]{1,3}(:[0-9]{1,5})?[\/'"`]/
    $not_192_168 = /https?:\/\/192\.([1-9]|[1-9][0-9]|1[0-57-9][0-9]|16[0-79]|2[0-5][0-9])\.[0-9]{1,3}\.[0-9]{1,3}(:[0-9]{1,5})?[\/'"`]/
  condition:
    any of them
}
