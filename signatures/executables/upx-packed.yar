rule upx_packed
{
  meta:
    id = "upx-packed"
    severity = "medium"
    kind = "threat"
    description = "Native executable packed with UPX; packing hides the code from review and is common in malware droppers"
    reference = "https://upx.github.io/"
    author = "mcp-assay"
    version = 1
  strings:
    $elf = { 7F 45 4C 46 }
    $macho64 = { CF FA ED FE }
    $sig = "UPX!"
    $sec0 = { 55 50 58 30 00 }
    $sec1 = { 55 50 58 31 00 }
  condition:
    ($elf at 0 or $macho64 at 0 or uint16(0) == 0x5A4D) and ($sig or ($sec0 and $sec1))
}
