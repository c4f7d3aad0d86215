rule conceal_from_user
{
  meta:
    id = "conceal-from-user"
    severity = "high"
    kind = "threat"
    description = "Text telling a model to hide what it does from the user (files that discuss prompt injection are left out)"
    reference = "https://invariantlabs.ai/blog/mcp-security-notification-tool-poisoning-attacks"
    author = "mcp-assay"
    version = 1
  strings:
    $tell = /(do not|don't|never) (tell|inform|notify|alert|mention (this|it|that) to) the user/ nocase
    $without = /without (telling|informing|notifying|alerting) the user/ nocase
    $hide = /(hide|conceal|keep) (this|it|these instructions) (hidden )?from the user/ nocase
    $must_not_know = /the user (must|should) (not|never) (know|see|be told|find out)/ nocase
    $doc1 = "prompt injection" nocase
    $doc2 = "prompt-injection" nocase
    $doc3 = "tool poisoning" nocase
    $doc4 = "jailbreak" nocase
  condition:
    any of ($tell, $without, $hide, $must_not_know) and not any of ($doc*)
}
