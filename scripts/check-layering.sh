#!/usr/bin/env bash
# Checks that the code depends one way (docs/ARCHITECTURE.md, "Which way the code depends"):
# every `#include "folder/..."` of a folder of lib/ names the folder itself or one below it, and
# the CLI includes nothing of lib/ (it is a client of include/wdc/wdc.h alone). Run by CTest
# (test `layering`); prints each include that runs against the order and exits 1 if any does.
set -euo pipefail
cd "$(dirname "$0")/.."

# Each folder and the folders it may include from (besides itself), bottom first.
declare -A allowed=(
  [base]=""
  [data]=""
  [ops]=""
  [nn]="base data ops"
  [io]="base data"
  [search]="base data"
  [train]="base data ops nn io"
  [model]="base data ops nn io train search"
  [capi]="base data io train model search"
)
folders="base|data|ops|nn|io|search|train|model|capi"
bad=0
for folder in "${!allowed[@]}"; do
  [ -d "lib/$folder" ] || continue
  while IFS=: read -r file line target; do
    case " $folder ${allowed[$folder]} " in
      *" $target "*) ;;
      *) echo "$file:$line: lib/$folder includes $target/, which lies above it or beside it"
         bad=1 ;;
    esac
  done < <(grep -rnoE "#include \"($folders)/" "lib/$folder" |
           sed -E 's/#include "([a-z]+)\/$/\1/')
done
# The CLI: the public header, its own files and third-party headers, nothing from lib/.
if grep -rnE "#include \"($folders)/" cli; then
  echo "cli/ includes the core above: it must use include/wdc/wdc.h alone"
  bad=1
fi
[ "$bad" -eq 0 ] && echo "layering: every include runs downward"
exit "$bad"
