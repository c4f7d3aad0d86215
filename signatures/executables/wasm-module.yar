rule wasm_module
{
  meta:
    id = "wasm-module"
    severity = "low"
    kind = "capability"
    description = "WebAssembly binary module shipped in the package"
    reference = "https://webassembly.github.io/spec/core/binary/modules.html"
    author = "mcp-assay"
    version = 1
  strings:
    $magic = { 00 61 73 6D }
  condition:
    $magic at 0 and uint32(4) == 1
}
