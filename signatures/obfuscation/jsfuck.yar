rule jsfuck
{
  meta:
    id = "jsfuck"
    severity = "medium"
    kind = "threat"
    description = "JSFuck encoding: JavaScript written with only []()!+ characters"
    reference = "https://jsfuck.com/"
    author = "mcp-assay"
    version = 1
  strings:
    $head = "[][(![]+[])"
    $false = "(![]+[])[+[]]"
    $true = "(!![]+[])[+[]]"
    $cell = "[+!+[]]"
  condition:
    $head or (#false + #true > 4 and #cell > 10)
}
