rule request_capture_service
{
  meta:
    id = "request-capture-service"
    severity = "medium"
    kind = "threat"
    description = "URL of a request-capture service (webhook.site, Pipedream, RequestBin, interactsh, Burp Collaborator, canarytokens): used to receive exfiltrated data"
    reference = ""
    author = "mcp-assay"
    version = 1
  strings:
    $webhook_site = /webhook\.site\/(#!\/)?[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/ nocase
    $pipedream = /[a-z0-9]{10,40}\.m\.pipedream\.net/ nocase
    $requestbin = /[a-z0-9]{6,40}\.(x\.pipedream\.net|requestbin\.(net|com))/ nocase
    $interactsh = /[a-z0-9]{20,40}\.(oast\.(fun|pro|live|site|online|me)|interact\.sh)/ nocase
    $burp = /[a-z0-9]{20,40}\.(burpcollaborator\.net|oastify\.com)/ nocase
    $canary = /canarytokens\.(com|org)\/[a-z0-9\/]{0,40}[a-z0-9]{20,32}/ nocase
    $beeceptor = /[a-z0-9\-]{3,40}\.(free\.)?beeceptor\.com/ nocase
    $requestcatcher = /[a-z0-9\-]{3,40}\.requestcatcher\.com/ nocase
  condition:
    any of them
}
