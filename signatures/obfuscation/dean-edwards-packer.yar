rule dean_edwards_packer
{
  meta:
    id = "dean-edwards-packer"
    severity = "medium"
    kind = "threat"
    description = "JavaScript packed with Dean Edwards' packer (eval(function(p,a,c,k,e,...)): the code is only readable after running it"
    reference = "http://dean.edwards.name/packer/"
    author = "mcp-assay"
    version = 1
  strings:
    $packer = /eval\(function\(p,a,c,k,e,(d|r)\)\{/
  condition:
    $packer
}
