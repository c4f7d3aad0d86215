rule google_api_key
{
  meta:
    id = "google-api-key"
    severity = "medium"
    kind = "capability"
    description = "Secret committed: a Google API key (AIza followed by 35 characters); some are meant to be public, so review its scope"
    reference = "https://cloud.google.com/docs/authentication/api-keys"
    author = "mcp-assay"
    version = 1
  strings:
    $key = /\bAIza[0-9A-Za-z_\-]{35}/
  condition:
    $key
}
