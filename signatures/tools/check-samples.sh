#!/bin/sh
# Checks every rule against its samples with the native `yara` CLI (a developer aid; the
# `mcp-assay signatures test` command is the supported check). Exit 1 on any failure.
set -u
root=$(cd "$(dirname "$0")/.." && pwd)
command -v yara >/dev/null 2>&1 || { echo "yara CLI not found; install the Debian package 'yara'" >&2; exit 2; }
fail=0
for rule in "$root"/*/*.yar; do
  cat_dir=$(dirname "$rule"); id=$(basename "$rule" .yar)
  samples="$cat_dir/samples/$id"
  for kind in match nomatch; do
    files=$(find "$samples/$kind" -type f 2>/dev/null)
    if [ -z "$files" ]; then echo "FAIL $id: no $kind samples"; fail=1; continue; fi
    for f in $files; do
      out=$(yara -w "$rule" "$f" 2>&1) || { echo "FAIL $id: yara error: $out"; fail=1; continue; }
      if [ -n "$out" ]; then hit=yes; else hit=no; fi
      if { [ "$kind" = match ] && [ $hit = no ]; } || { [ "$kind" = nomatch ] && [ $hit = yes ]; }; then
        echo "FAIL $id: $kind/$(basename "$f")"; fail=1
      fi
    done
  done
done
# sample paths are ours and contain no spaces
[ $fail = 0 ] && echo "all samples ok"
exit $fail
