rule elf_binary
{
  meta:
    id = "elf-binary"
    severity = "low"
    kind = "capability"
    description = "ELF executable or shared object (Linux/BSD native code) shipped in the package"
    reference = ""
    author = "mcp-assay"
    version = 1
  strings:
    $magic = { 7F 45 4C 46 }
  condition:
    $magic at 0 and filesize > 52 and uint8(4) >= 1 and uint8(4) <= 2
}
