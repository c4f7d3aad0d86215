rule npm_token
{
  meta:
    id = "npm-token"
    severity = "high"
    kind = "capability"
    description = "Secret committed: an npm access token (npm_ followed by 36 characters)"
    reference = "https://docs.npmjs.com/about-access-tokens"
    author = "mcp-assay"
    version = 1
  strings:
    $token = /\bnpm_[A-Za-z0-9]{36}\b/
  condition:
    $token
}
