rule important_tag_instructions
{
  meta:
    id = "important-tag-instructions"
    severity = "high"
    kind = "threat"
    description = "An <IMPORTANT> block that gives the model instructions (secrecy, reading files, steps before a tool call): the tool-poisoning pattern"
    reference = "https://invariantlabs.ai/blog/mcp-security-notification-tool-poisoning-attacks"
    author = "mcp-assay"
    version = 3
  strings:
    // Each instruction is its own string and must fall within 700 bytes after an <IMPORTANT> tag: one
    // long alternation behind `.{0,600}` was read differently by YARA-X than by libyara.
    $tag = "<IMPORTANT>" nocase
    $do = /you must|before using|otherwise the tool|pass (its|the) content|read (the )?(file|content)/ nocase
    // Two patterns, not one top-level alternation: same matches, half the scan cost on YARA-X (measured).
    $hide = /do not (tell|mention|reveal|inform|notify)/ nocase
    $hide2 = /don't (tell|mention|reveal)/ nocase
    $path = /~\/\.[a-z]|\.ssh\/|mcp\.json|id_rsa/ nocase
    $doc1 = "prompt injection" nocase
    $doc2 = "prompt-injection" nocase
    $doc3 = "tool poisoning" nocase
    $doc4 = "jailbreak" nocase
  condition:
    $tag and not any of ($doc*) and
    for any i in (1..#tag): (for any of ($do, $hide, $hide2, $path): ($ in (@tag[i]..@tag[i] + 700)))
}
