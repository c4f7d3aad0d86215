rule node_native_addon
{
  meta:
    id = "node-native-addon"
    severity = "medium"
    kind = "capability"
    description = "Native Node.js addon (.node): an ELF, PE or Mach-O image that registers itself as a Node module"
    reference = "https://nodejs.org/api/addons.html"
    author = "mcp-assay"
    version = 1
  strings:
    $elf = { 7F 45 4C 46 }
    $macho64 = { CF FA ED FE }
    $macho32 = { CE FA ED FE }
    $fat = { CA FE BA BE }
    $napi = "napi_register_module_v1"
    $node = "node_register_module_v"
    $legacy = "node_module_register"
    $napi_legacy = "napi_module_register"
  condition:
    ($elf at 0 or $macho64 at 0 or $macho32 at 0 or $fat at 0 or uint16(0) == 0x5A4D) and any of ($napi, $node, $legacy, $napi_legacy)
}
