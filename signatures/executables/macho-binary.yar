rule macho_binary
{
  meta:
    id = "macho-binary"
    severity = "low"
    kind = "capability"
    description = "Thin Mach-O executable or dylib (macOS native code) shipped in the package"
    reference = ""
    author = "mcp-assay"
    version = 1
  strings:
    $be32 = { FE ED FA CE }
    $be64 = { FE ED FA CF }
    $le32 = { CE FA ED FE }
    $le64 = { CF FA ED FE }
  condition:
    filesize > 28 and ($be32 at 0 or $be64 at 0 or $le32 at 0 or $le64 at 0)
}
