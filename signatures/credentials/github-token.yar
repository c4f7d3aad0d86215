rule github_token
{
  meta:
    id = "github-token"
    severity = "high"
    kind = "capability"
    description = "Secret committed: a GitHub personal access, OAuth, app or refresh token"
    reference = "https://github.blog/engineering/platform-security/behind-githubs-new-authentication-token-formats/"
    author = "mcp-assay"
    version = 1
  strings:
    $classic = /\bgh[pousr]_[A-Za-z0-9]{36}\b/
    $fine = /\bgithub_pat_[A-Za-z0-9]{22}_[A-Za-z0-9]{59}\b/
  condition:
    any of them
}
