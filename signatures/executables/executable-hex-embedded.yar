rule executable_hex_embedded
{
  meta:
    id = "executable-hex-embedded"
    severity = "medium"
    kind = "threat"
    description = "Hex or \\x-escaped text that spells an ELF or PE header: an executable smuggled inside a text file"
    reference = ""
    author = "mcp-assay"
    version = 1
  strings:
    $elf_hex = /7f454c460[12]010[01]/ nocase
    $pe_hex = /4d5a9000030000000400/ nocase
    $elf_esc = /\\x7f\\x45\\x4c\\x46\\x0[12]\\x01/ nocase
    $pe_esc = /\\x4d\\x5a\\x90\\x00\\x03\\x00/ nocase
    $bin_elf = { 7F 45 4C 46 }
  condition:
    any of ($elf_hex, $pe_hex, $elf_esc, $pe_esc) and not $bin_elf at 0 and uint16(0) != 0x5A4D
}
