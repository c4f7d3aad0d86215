rule macho_fat_binary
{
  meta:
    id = "macho-fat-binary"
    severity = "low"
    kind = "capability"
    description = "Universal (fat) Mach-O binary; the small architecture count tells it apart from a Java class file, which shares the magic"
    reference = ""
    author = "mcp-assay"
    version = 1
  strings:
    $fat = { CA FE BA BE }
    $fat64 = { CA FE BA BF }
  condition:
    ($fat at 0 or $fat64 at 0) and uint32be(4) > 0 and uint32be(4) < 20 and filesize > 8 + uint32be(4) * 20
}
