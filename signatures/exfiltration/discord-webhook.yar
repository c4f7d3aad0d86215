rule discord_webhook
{
  meta:
    id = "discord-webhook"
    severity = "medium"
    kind = "threat"
    description = "Hard-coded Discord webhook URL with its token: a common drop point for stolen data"
    reference = "https://discord.com/developers/docs/resources/webhook"
    author = "mcp-assay"
    version = 1
  strings:
    $hook = /discord(app)?\.com\/api\/webhooks\/[0-9]{17,20}\/[A-Za-z0-9_\-]{60,72}/
  condition:
    $hook
}
