rule paste_service_url
{
  meta:
    id = "paste-service-url"
    severity = "low"
    kind = "threat"
    description = "Raw or upload URL of a paste or anonymous file-drop service, used to stage payloads or drop stolen data"
    reference = ""
    author = "mcp-assay"
    version = 1
  strings:
    $pastebin = /pastebin\.com\/(raw\/|raw\.php\?i=|api\/api_post\.php)/ nocase
    $pasteee = /paste\.ee\/(r\/|api\/)/ nocase
    $hastebin = /(hastebin|toptal)\.com\/(raw\/|documents)/ nocase
    $rentry = /rentry\.(co|org)\/[A-Za-z0-9_\-]{2,40}\/raw/ nocase
    $ghostbin = /ghostbin\.(co|com)\/paste\/[a-z0-9]{3,20}/ nocase
    $termbin = "termbin.com" nocase
    $transfer = /transfer\.sh\/[A-Za-z0-9]{4,12}\// nocase
    $nullptr = /https?:\/\/0x0\.st/ nocase
    $fileio = /https?:\/\/file\.io\/?['"?]/ nocase
    $dpaste = /dpaste\.(com|org)\/[A-Za-z0-9]{4,12}\/raw/ nocase
  condition:
    any of them
}
