rule slack_webhook
{
  meta:
    id = "slack-webhook"
    severity = "low"
    kind = "threat"
    description = "Hard-coded Slack incoming-webhook URL: data posted there leaves the machine"
    reference = "https://api.slack.com/messaging/webhooks"
    author = "mcp-assay"
    version = 1
  strings:
    $hook = /hooks\.slack\.com\/(services|workflows|triggers)\/T[A-Z0-9]{8,12}\/[A-Z0-9]{8,12}\/[A-Za-z0-9]{20,32}/
  condition:
    $hook
}
