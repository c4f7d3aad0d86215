#!/bin/sh
# Usage: mkrule.sh <category> <id> <severity> <kind> <description> <reference>  (strings+condition on stdin)
# Writes signatures/<category>/<id>.yar with the meta every rule must carry.
set -eu
dir=$(cd "$(dirname "$0")/.." && pwd)
cat_=$1 id=$2 sev=$3 kind=$4 desc=$5 ref=$6
name=$(printf '%s' "$id" | tr '-' '_')
{
  printf 'rule %s\n{\n  meta:\n' "$name"
  printf '    id = "%s"\n    severity = "%s"\n    kind = "%s"\n' "$id" "$sev" "$kind"
  printf '    description = "%s"\n    reference = "%s"\n    author = "mcp-assay"\n    version = 1\n' "$desc" "$ref"
  cat
  printf '}\n'
} > "$dir/$cat_/$id.yar"
