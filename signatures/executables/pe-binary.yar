rule pe_binary
{
  meta:
    id = "pe-binary"
    severity = "low"
    kind = "capability"
    description = "Windows PE executable or DLL shipped in the package"
    reference = ""
    author = "mcp-assay"
    version = 1
  strings:
    $pe = { 50 45 00 00 }
  condition:
    uint16(0) == 0x5A4D and filesize > 0x40 and uint32(0x3C) < filesize and $pe at uint32(0x3C)
}
