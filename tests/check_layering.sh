#!/bin/sh
# Fails when core/ includes a header from adapters/ or bot/: the dependency
# rule is bot -> adapters -> core, never the other way.
top=${1:-.}
bad=$(grep -rnE '#[[:space:]]*include[[:space:]]*[<"](\.\./)*(adapters|bot)/' "$top/core" 2>/dev/null)
if [ -z "$bad" ]; then
  for h in $(ls "$top"/adapters/*/*.h "$top"/bot/*.h 2>/dev/null); do
    b=$(basename "$h")
    [ -e "$top/core/$b" ] && continue
    hit=$(grep -rnE "#[[:space:]]*include[[:space:]]*[<\"]$b[>\"]" "$top/core" 2>/dev/null)
    [ -n "$hit" ] && bad="$bad$hit (from $h)
"
  done
fi
if [ -n "$bad" ]; then
  echo "layering violation: core/ must not include adapters/ or bot/:" >&2
  echo "$bad" >&2
  exit 1
fi
echo "layering ok: core/ includes nothing from adapters/ or bot/"
