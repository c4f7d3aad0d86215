rule telegram_bot_api
{
  meta:
    id = "telegram-bot-api"
    severity = "medium"
    kind = "threat"
    description = "Telegram Bot API call with a hard-coded bot token: a common channel for exfiltrating stolen data"
    reference = "https://core.telegram.org/bots/api"
    author = "mcp-assay"
    version = 1
  strings:
    $url_token = /api\.telegram\.org\/bot[0-9]{8,10}:[A-Za-z0-9_\-]{35}/
    $api = "api.telegram.org/bot"
    $token = /['"][0-9]{8,10}:AA[A-Za-z0-9_\-]{33}['"]/
  condition:
    $url_token or ($api and $token)
}
