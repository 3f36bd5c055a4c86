#!/usr/bin/env bash
# A three-person consilium piped into the real binary, in English and in
# Russian: it must end with a decision log and tasks printed and stored, and
# the process must exit by itself at the end of input.
set -euo pipefail
BIN=${XIO_BIN:?}
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; echo "--- output:"; cat "$tmp/out.txt" 2>/dev/null | tail -n 60; exit 1; }

run_script() { # lang file mode
  local lang=$1 script=$2 mode=$3 db="$tmp/$1-$3.db"
  if [ "$mode" = pipe ]; then
    cat "$script" | timeout 60 "$BIN" console --db "$db" --session t --set consilium.max_rounds=6 >"$tmp/out.txt" 2>"$tmp/err.txt" || fail "$lang/$mode: exit $?"
  else
    timeout 60 "$BIN" console --db "$db" --session t --set consilium.max_rounds=6 <"$script" >"$tmp/out.txt" 2>"$tmp/err.txt" || fail "$lang/$mode: exit $?"
  fi
  echo "$db"
}

# --- English, input from a file
db=$(run_script en "$here/scripts/consilium_en.txt" file)
out="$tmp/out.txt"
grep -q '^\[Moderator\] Consilium opened by Alice' "$out" || fail "no opening"
grep -q 'Round 1 of 6' "$out" || fail "no round"
grep -q '^\[Integrator\] \*Decision log\*' "$out" || fail "no decision log"
grep -q 'Decision: .*option B' "$out" || fail "decision not extracted"
grep -q 'Rationale: Safer cutover' "$out" || fail "amend not applied"
grep -q '^\[Scribe\] \*Tasks\*' "$out" || fail "no tasks"
grep -q 'rollback runbook — owner: Carol' "$out" || fail "Carol's task missing"
grep -q 'Postgres replica — owner: Bob; due: 20[0-9][0-9]-12-15' "$out" || fail "Bob's task missing"
grep -q 'Phase: discussion' "$out" || fail "/status"
grep -q 'Decision approved by Bob' "$out" || fail "not approved"
if grep -q 'checked the backups' "$out"; then fail "done work became a task"; fi
[ "$(sqlite3 "$db" "select status from decisions")" = approved ] || fail "decision not stored"
[ "$(sqlite3 "$db" "select count(*) from tasks")" -ge 3 ] || fail "tasks not stored"
[ "$(sqlite3 "$db" "select phase from consiliums")" = closed ] || fail "not closed"
[ "$(sqlite3 "$db" "select count(*) from outbox where state <> 2")" = 0 ] || fail "outbox not drained"
sqlite3 "$db" "select log from decisions" | python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["status"]=="approved" and d["participants"]==["Alice","Bob","Carol"], d' || fail "stored log"
echo "ok - english scripted consilium (file input)"

# --- Russian, input from a pipe
db=$(run_script ru "$here/scripts/consilium_ru.txt" pipe)
grep -q '^\[Moderator\] Консилиум открыл(а) Алиса' "$out" || fail "ru opening"
grep -q 'Раунд 1 из 6' "$out" || fail "ru round"
grep -q '\*Журнал решения\*' "$out" || fail "ru decision log"
grep -q 'план отката — ответственный: Вера' "$out" || fail "ru Vera's task"
grep -q 'реплику Postgres — ответственный: Борис; срок: 20[0-9][0-9]-12-15' "$out" || fail "ru Boris's task"
grep -q 'Решение утвердил(а) Борис' "$out" || fail "ru approval"
[ "$(sqlite3 "$db" "select status from decisions")" = approved ] || fail "ru decision not stored"
echo "ok - russian scripted consilium (pipe input)"

# --- a second run on the same database recalls the first as a precedent
printf 'Dana: /consilium Postgres for the billing reports too?\n' |
  timeout 30 "$BIN" console --db "$tmp/en-file.db" --session t2 >"$out" 2>"$tmp/err.txt" || fail "precedent run"
grep -q 'Earlier decisions' "$out" || fail "precedent not recalled"
echo "ok - precedent recalled"

# --- the extractor's draft takes the decision that stands, not every decision
#     sentence glued together; the superseded one stays in the rationale
printf '/consilium Kafka or RabbitMQ?\nAnn: We decided to use Kafka.\nBob: Wait, Kafka ops cost is too high.\nAnn: OK, we changed our mind: we will go with RabbitMQ instead.\n/decide\n' |
  timeout 30 "$BIN" console --db "$tmp/mind.db" --set http.enabled=false >"$out" 2>"$tmp/err.txt" || fail "changed-mind run"
grep -q 'Decision: OK, we changed our mind: we will go with RabbitMQ instead$' "$out" || fail "latest decision not taken"
grep -q 'Rationale: .*We decided to use Kafka' "$out" || fail "superseded decision lost"
if grep -q 'Decision: We decided to use Kafka' "$out"; then fail "decisions glued"; fi
echo "ok - a later decision supersedes an earlier one"

# --- bad input: a message with no consilium gets a hint, unknown command a hint
printf 'hello there\n/frobnicate\n/help\n' |
  timeout 30 "$BIN" console --db "$tmp/empty.db" >"$out" 2>"$tmp/err.txt" || fail "idle run"
grep -q 'no consilium in this thread yet' "$out" || fail "idle hint"
grep -q "I don't know the command /frobnicate" "$out" || fail "unknown command hint"
grep -q '/consilium <question>' "$out" || fail "help"
echo "ok - idle thread hints"
echo "5 passed, 0 failed"
