rule ai_api_key
{
  meta:
    id = "ai-api-key"
    severity = "high"
    kind = "capability"
    description = "Secret committed: an OpenAI or Anthropic API key"
    reference = ""
    author = "mcp-assay"
    version = 1
  strings:
    $anthropic = /\bsk-ant-(api|admin)[0-9]{2}-[A-Za-z0-9_\-]{80,120}/
    $openai_proj = /\bsk-(proj|svcacct|admin)-[A-Za-z0-9_\-]{40,200}/
    $openai_legacy = /\bsk-[A-Za-z0-9]{20}T3BlbkFJ[A-Za-z0-9]{20}\b/
  condition:
    any of them
}
