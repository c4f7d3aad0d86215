rule tool_shadowing
{
  meta:
    id = "tool-shadowing"
    severity = "high"
    kind = "threat"
    description = "Text that changes how another tool behaves (when the X tool is called, you must also ...): tool shadowing across servers"
    reference = "https://invariantlabs.ai/blog/mcp-security-notification-tool-poisoning-attacks"
    author = "mcp-assay"
    version = 1
  strings:
    $when = /when (the |any |using the )?[`'"]?[A-Za-z0-9_.\-]{1,64}[`'"]? tool is (used|called|invoked|available)[^\n]{0,160}(must|always|instead|also) (also )?(send|add|include|bcc|cc|redirect|change|replace|forward|copy)/ nocase
    $other = /(all|any) other tools? (must|should) (also )?(send|add|include|bcc|forward|copy)/ nocase
    $doc1 = "prompt injection" nocase
    $doc2 = "prompt-injection" nocase
    $doc3 = "tool poisoning" nocase
    $doc4 = "jailbreak" nocase
  condition:
    any of ($when, $other) and not any of ($doc*)
}
