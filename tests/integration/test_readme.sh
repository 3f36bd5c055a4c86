#!/usr/bin/env bash
# The README is for users, and must stay true: the two commands, every chat
# command of the engine's table, and a configuration reference equal to the
# key table in the code.
set -euo pipefail
BIN=${XIO_BIN:?}
readme=${XIO_SOURCE_DIR:?}/README.md
fail() { echo "FAIL: $*"; exit 1; }
grep -q 'deploy/run.sh' "$readme" || fail "README lacks deploy/run.sh"
grep -q 'deploy/test.sh' "$readme" || fail "README lacks deploy/test.sh"
ref=$(sed -n '/<!-- config-reference:begin/,/<!-- config-reference:end -->/p' "$readme" | sed '1d;$d')
[ "$ref" = "$("$BIN" check-config --print-reference)" ] ||
  fail "README configuration reference differs from 'xio check-config --print-reference'; regenerate it"
echo "ok - configuration reference matches the key table"
# every command /help lists is documented
help=$(printf '/help\n' | "$BIN" console --db :memory: 2>/dev/null)
for c in $(printf '%s\n' "$help" | grep -oE '^ *(\[Moderator\] )?/[a-z]+' | grep -oE '/[a-z]+' | sort -u); do
  grep -q "\`$c" "$readme" || fail "README does not document $c"
done
echo "ok - every chat command is documented"
echo "2 passed, 0 failed"
