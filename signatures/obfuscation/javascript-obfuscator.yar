rule javascript_obfuscator
{
  meta:
    id = "javascript-obfuscator"
    severity = "medium"
    kind = "threat"
    description = "Fingerprints of javascript-obfuscator output: dense _0x hex identifiers with its string-array rotation loop"
    reference = "https://github.com/javascript-obfuscator/javascript-obfuscator"
    author = "mcp-assay"
    version = 1
  strings:
    $hexid = /_0x[0-9a-f]{4,6}\b/
    $loop = "while(!![])"
    $pushshift = /\[['"]push['"]\]\(_0x[0-9a-f]{4,6}\[['"]shift['"]\]\(\)\)/
    $parse = /parseInt\(_0x[0-9a-f]{4,6}\(0x[0-9a-f]{1,4}\)\)/
  condition:
    #hexid > 30 and ($loop or $pushshift or $parse)
}
