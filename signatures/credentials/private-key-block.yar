rule private_key_block
{
  meta:
    id = "private-key-block"
    severity = "high"
    kind = "capability"
    description = "Secret committed: a PEM or PGP private key block with key material"
    reference = ""
    author = "mcp-assay"
    version = 1
  strings:
    $pem = /-----BEGIN (RSA |EC |DSA |OPENSSH |ENCRYPTED )?PRIVATE KEY-----\r?\n([A-Za-z0-9-]{1,32}: [^\r\n]{1,128}\r?\n){0,4}\r?\n?[A-Za-z0-9\+\/]{40}/
    $pgp = /-----BEGIN PGP PRIVATE KEY BLOCK-----\r?\n([A-Za-z0-9-]{1,32}: [^\r\n]{1,128}\r?\n){0,4}\r?\n?[A-Za-z0-9\+\/]{40}/
  condition:
    any of them
}
