rule telegram_bot_api
{
  meta:
    id = "telegram-bot-api"
    severity = "medium"
    kind = "threat"
    description = "Telegram Bot API call with a hard-coded bot token: a common channel for exfiltrating stolen data"
    reference = "https://core.telegram.org/bots/api"
    author = "mcp-assay"
    version = 2
  strings:
    $url_token = /api\.telegram\.org\/bot[0-9]{8,10}:[A-Za-z0-9_\-]{35}/
    $api = "api.telegram.org/bot"
    // The token's ':AA' part and closing quote only: a leading `[0-9]{8,10}` made this the most expensive
    // pattern in the library on YARA-X (measured), and the condition already requires the bot API URL.
    $token = /:AA[A-Za-z0-9_\-]{33}['"]/
  condition:
    $url_token or ($api and $token)
}
