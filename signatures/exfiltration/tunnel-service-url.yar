rule tunnel_service_url
{
  meta:
    id = "tunnel-service-url"
    severity = "low"
    kind = "threat"
    description = "URL of a tunnelling service host (ngrok, Cloudflare quick tunnels, localtunnel, serveo): traffic reaches a machine behind the tunnel"
    reference = ""
    author = "mcp-assay"
    version = 1
  strings:
    $ngrok = /https?:\/\/[a-z0-9\-]{4,63}\.ngrok(-free)?\.(io|app|dev)/ nocase
    $cloudflare = /[a-z0-9]{2,20}(-[a-z0-9]{2,20}){2,6}\.trycloudflare\.com/ nocase
    $localtunnel = /https?:\/\/[a-z0-9\-]{3,63}\.loca\.lt/ nocase
    $serveo = /https?:\/\/[a-z0-9\-]{3,63}\.serveo(usercontent)?\.(net|com)/ nocase
    $localhost_run = /https?:\/\/[a-z0-9]{6,40}\.(lhr\.life|lhr\.rocks)/ nocase
  condition:
    any of them
}
