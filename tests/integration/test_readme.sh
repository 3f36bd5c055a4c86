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
# every YAML snippet of the README loads with `xio check-config`, given only
# the variables that the run line after it sets: a user pastes the snippet
# and runs that line
python3 - "$readme" "$BIN" <<'PY' || fail "a README config snippet does not load as written"
import os, re, subprocess, sys, tempfile, textwrap
readme, xio = sys.argv[1], sys.argv[2]
lines = open(readme, encoding="utf-8").read().split("\n")
n = 0
i = 0
while i < len(lines):
    if lines[i].strip() != "```yaml":
        i += 1
        continue
    j = i + 1
    while lines[j].strip() != "```":
        j += 1
    block = textwrap.dedent("\n".join(lines[i + 1:j])) + "\n"
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}
    for line in lines[j + 1:j + 8]:
        if line.startswith("#") or line.strip().startswith("```"):
            break
        for m in re.finditer(r"\b([A-Z][A-Z0-9_]*)=\S+", line):
            if re.search(r"xio (run|notion-check)", line):
                env[m.group(1)] = "1:x"  # shaped as any token (a Telegram one is id:secret)
    with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as f:
        f.write(block)
    r = subprocess.run([xio, "check-config", f.name], env=env, capture_output=True, text=True)
    os.unlink(f.name)
    if r.returncode != 0:
        print(f"README.md:{i + 1}: {r.stderr.strip() or r.stdout.strip()}")
        sys.exit(1)
    n += 1
    i = j + 1
print(f"{n} README config snippets load")
PY
echo "ok - every README config snippet loads with the variables its run line sets"
echo "3 passed, 0 failed"
