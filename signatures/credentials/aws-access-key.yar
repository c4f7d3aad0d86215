rule aws_access_key
{
  meta:
    id = "aws-access-key"
    severity = "high"
    kind = "capability"
    description = "Secret committed: an AWS access key id together with a 40-character secret access key (AWS documentation example keys excluded)"
    reference = "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_access-keys.html"
    author = "mcp-assay"
    version = 1
  strings:
    $key_id = /\b(AKIA|ASIA)[0-9A-Z]{16}\b/
    $example_id = "AKIAIOSFODNN7EXAMPLE"
    $secret = /aws.{0,24}secret.{0,32}[^A-Za-z0-9\/\+][A-Za-z0-9\/\+]{40}[^A-Za-z0-9\/\+]/ nocase
  condition:
    #key_id > #example_id and $secret
}
