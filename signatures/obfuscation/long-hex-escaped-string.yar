rule long_hex_escaped_string
{
  meta:
    id = "long-hex-escaped-string"
    severity = "medium"
    kind = "threat"
    description = "A string of 64 or more \\xNN escapes of printable ASCII in a row: readable text (code, commands, URLs) hidden from review; byte tables of non-ASCII escapes are not matched"
    reference = ""
    author = "mcp-assay"
    version = 2
  strings:
    // 64 escapes in a row, written as one escape spelled out (every printable value: four-byte atoms
    // such as `\x65`) followed by 63 more, so the scanner starts from a 4-byte atom rather than the
    // 2-byte `\x` found in every file with an escape. The first escape's spellings are split over two
    // strings because YARA refuses a regex with more than about 128 alternatives; together they
    // match exactly what version 1 matched.
    $esc = /(\\x20|\\x21|\\x22|\\x23|\\x24|\\x25|\\x26|\\x27|\\x28|\\x29|\\x2a|\\x2b|\\x2c|\\x2d|\\x2e|\\x2f|\\x30|\\x31|\\x32|\\x33|\\x34|\\x35|\\x36|\\x37|\\x38|\\x39|\\x3a|\\x3b|\\x3c|\\x3d|\\x3e|\\x3f|\\x40|\\x41|\\x42|\\x43|\\x44|\\x45|\\x46|\\x47|\\x48|\\x49|\\x4a|\\x4b|\\x4c|\\x4d|\\x4e|\\x4f|\\x50|\\x51|\\x52|\\x53|\\x54|\\x55|\\x56|\\x57|\\x58|\\x59|\\x5a|\\x5b|\\x5c|\\x5d|\\x5e|\\x5f|\\x60|\\x61|\\x62|\\x63|\\x64|\\x65|\\x66|\\x67|\\x68|\\x69|\\x6a|\\x6b|\\x6c|\\x6d|\\x6e|\\x6f|\\x70|\\x71|\\x72|\\x73|\\x74|\\x75|\\x76|\\x77|\\x78|\\x79|\\x7a|\\x7b|\\x7c|\\x7d|\\x7e|\\x7f)(\\x[2-7][0-9a-fA-F]){63}/
    $esc_upper = /(\\x2A|\\x2B|\\x2C|\\x2D|\\x2E|\\x2F|\\x3A|\\x3B|\\x3C|\\x3D|\\x3E|\\x3F|\\x4A|\\x4B|\\x4C|\\x4D|\\x4E|\\x4F|\\x5A|\\x5B|\\x5C|\\x5D|\\x5E|\\x5F|\\x6A|\\x6B|\\x6C|\\x6D|\\x6E|\\x6F|\\x7A|\\x7B|\\x7C|\\x7D|\\x7E|\\x7F)(\\x[2-7][0-9a-fA-F]){63}/
  condition:
    any of them
}
