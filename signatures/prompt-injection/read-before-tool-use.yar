rule read_before_tool_use
{
  meta:
    id = "read-before-tool-use"
    severity = "high"
    kind = "threat"
    description = "Tool text telling the model to read a sensitive file or client config before using a tool: the classic poisoned-description pattern"
    reference = "https://invariantlabs.ai/blog/mcp-security-notification-tool-poisoning-attacks"
    author = "mcp-assay"
    version = 1
  strings:
    $before = /before (using|calling|invoking) (this|the|any) tool[^\n]{0,200}\b(read|open|cat|pass|include|send|attach)\b[^\n]{0,120}(~\/|\.ssh\/|\.env\b|mcp\.json|id_rsa|\.aws\/|\.cursor\/|claude_desktop_config)/ nocase
    $doc1 = "prompt injection" nocase
    $doc2 = "prompt-injection" nocase
    $doc3 = "tool poisoning" nocase
    $doc4 = "jailbreak" nocase
  condition:
    $before and not any of ($doc*)
}
