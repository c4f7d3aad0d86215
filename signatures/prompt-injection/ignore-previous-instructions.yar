rule ignore_previous_instructions
{
  meta:
    id = "ignore-previous-instructions"
    severity = "medium"
    kind = "threat"
    description = "Text telling a model to ignore or disregard its previous instructions (files that discuss prompt injection are left out)"
    reference = "https://owasp.org/www-project-top-10-for-large-language-model-applications/"
    author = "mcp-assay"
    version = 1
  strings:
    $ignore = /(ignore|disregard|forget) (all |any )?(of )?(the |your )?(previous|prior|above|earlier|preceding|system) (instructions|directions|prompts?|rules)/ nocase
    $doc1 = "prompt injection" nocase
    $doc2 = "prompt-injection" nocase
    $doc3 = "tool poisoning" nocase
    $doc4 = "jailbreak" nocase
  condition:
    $ignore and not any of ($doc*)
}
