rule slack_token
{
  meta:
    id = "slack-token"
    severity = "high"
    kind = "capability"
    description = "Secret committed: a Slack bot, user, app or refresh token"
    reference = "https://api.slack.com/authentication/token-types"
    author = "mcp-assay"
    version = 1
  strings:
    $token = /\bxox[abposr]-[0-9]{9,13}-[0-9]{9,13}(-[0-9]{9,13})?-[A-Za-z0-9]{24,34}\b/
    $app = /\bxapp-1-[A-Z0-9]{9,12}-[0-9]{10,13}-[a-f0-9]{60,64}\b/
  condition:
    any of them
}
