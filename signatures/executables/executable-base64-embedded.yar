rule executable_base64_embedded
{
  meta:
    id = "executable-base64-embedded"
    severity = "medium"
    kind = "threat"
    description = "Base64 text that decodes to an ELF, PE or Mach-O header: an executable smuggled inside a text file"
    reference = ""
    author = "mcp-assay"
    version = 1
  strings:
    $elf64 = "f0VMRgIBAQ"
    $elf32 = "f0VMRgEBAQ"
    $pe = "TVqQAAMAAAAEAAAA"
    $macho64 = "z/rt/gcAAAE"
    $bin_elf = { 7F 45 4C 46 }
  condition:
    any of ($elf64, $elf32, $pe, $macho64) and not $bin_elf at 0 and uint16(0) != 0x5A4D
}
