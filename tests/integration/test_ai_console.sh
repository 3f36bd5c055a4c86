#!/usr/bin/env bash
# A full AI consilium in `xio console` against the fake LLM, in English and in
# Russian: preparation, two rounds of AI experts, the Moderator's consensus,
# a decision log and tasks drafted by the Integrator and the Scribe, valid
# against the schemas, approved and stored; usage recorded per completion.
# Then the variants: selector policy, no streaming, json_object mode, and a
# small context budget that makes the Scribe summarise.
set -euo pipefail
BIN=${XIO_BIN:?}
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
. "$here/llm_fake.sh"
trap 'stop_fake; rm -rf "$tmp"' EXIT
out="$tmp/out.txt"
fail() { echo "FAIL: $*"; echo "--- output:"; tail -n 60 "$out" 2>/dev/null; echo "--- log:"; tail -n 20 "$tmp/err.txt"; exit 1; }
start_fake

run() { # db script [--set k=v]...
  local db=$1 script=$2; shift 2
  XIO_LLM_BASE_URL=$LLM_URL XIO_LLM_MODEL=fake-model timeout 60 "$BIN" console --db "$db" --session t \
    --set consilium.max_rounds=3 "$@" <"$script" >"$out" 2>"$tmp/err.txt" || fail "exit $? ($db)"
}
q() { sqlite3 "$1" "$2"; }

# --- English
db=$tmp/en.db
run "$db" "$here/scripts/ai_en.txt"
grep -q '^\[Moderator\] Consilium opened by Alice' "$out" || fail "no opening"
grep -q '^    Please add any missing context' "$out" || fail "no preparation"
grep -q 'Round 1 of 3' "$out" || fail "no round 1"
grep -q '^\[Architect\] Economist, I would take option B' "$out" || fail "architect did not speak"
grep -q '^\[Economist\] Architect, option B is also the cheapest' "$out" || fail "economist did not speak"
grep -q '^\[Moderator\] Cost and the deadline are still open' "$out" || fail "no judgement after round 1"
grep -q 'Round 2 of 3' "$out" || fail "no round 2"
grep -q 'The council agrees: Everyone backs option B' "$out" || fail "no consensus"
grep -q 'Round 3 of 3' "$out" && fail "went on after consensus"
grep -q '^\[Integrator\] \*Decision log\*' "$out" || fail "no decision log"
grep -q 'Decision: Option B: a Postgres read replica' "$out" || fail "not the Integrator's decision"
grep -q 'Set up the Postgres replica — owner: Alice; due: 2031-12-15' "$out" || fail "not the Scribe's task"
grep -q 'rule-based extractor' "$out" && fail "fell back to the extractor"
grep -q 'Decision approved by Alice' "$out" || fail "not approved"
[ "$(q "$db" "select status from decisions")" = approved ] || fail "decision not stored"
[ "$(q "$db" "select json_extract(state, '$.decision_source') from consiliums")" = llm ] || fail "source is not llm"
check_decision "$db" || fail "stored decision or tasks break the schemas"
[ "$(q "$db" "select count(*) from tasks")" = 2 ] || fail "tasks not stored"
[ "$(q "$db" "select count(*) from outbox where state <> 2")" = 0 ] || fail "outbox not drained"
[ "$(q "$db" "select count(*) from llm_calls where purpose='turn' and outcome='ok'")" = 4 ] || fail "turns not recorded"
[ "$(q "$db" "select count(*) from llm_calls where purpose='judge'")" = 2 ] || fail "judgements not recorded"
[ "$(q "$db" "select count(*) from llm_calls where purpose in ('integrator','scribe') and outcome='ok'")" = 2 ] || fail "drafts not recorded"
[ "$(q "$db" "select count(*) from llm_calls where prompt_tokens <= 0 or completion_tokens <= 0 or model <> 'fake-model'")" = 0 ] || fail "usage not recorded"
[ "$(q "$db" "select count(*) from messages where author='Architect' and author_kind='persona'")" = 2 ] || fail "transcript lacks the AI turns"
echo "ok - english AI consilium: two rounds, consensus, schema-valid LLM decision"

# --- Russian
db=$tmp/ru.db
run "$db" "$here/scripts/ai_ru.txt"
grep -q '^\[Moderator\] Консилиум открыл(а) Алиса' "$out" || fail "ru opening"
grep -q 'Раунд 2 из 3' "$out" || fail "ru round 2"
grep -q '^\[Architect\] Экономист, я за вариант Б' "$out" || fail "ru architect"
grep -q 'Все поддерживают вариант Б' "$out" || fail "ru consensus"
grep -q '\*Журнал решения\*' "$out" || fail "ru decision log"
grep -q 'Поднять реплику Postgres — ответственный: Алиса' "$out" || fail "ru task"
grep -q 'Решение утвердил(а) Алиса' "$out" || fail "ru approval"
check_decision "$db" || fail "ru decision breaks the schemas"
q "$db" "select count(*) from llm_calls" | grep -qx 8 || fail "ru calls"
echo "ok - russian AI consilium"

# --- selector policy: the Moderator names the speakers
db=$tmp/sel.db
run "$db" "$here/scripts/ai_en.txt" --set consilium.policy=selector
grep -q 'The council agrees' "$out" || fail "selector: no consensus"
[ "$(q "$db" "select count(*) from llm_calls where purpose='select' and outcome='ok'")" -ge 4 ] || fail "selector: no selections"
check_decision "$db" || fail "selector: decision breaks the schemas"
echo "ok - selector policy"

# --- not streamed, json_object with the schema in the prompt
db=$tmp/plain.db
run "$db" "$here/scripts/ai_en.txt" --set llm.stream=false --set llm.json_schema=false
grep -q 'Decision approved by Alice' "$out" || fail "plain: not approved"
check_decision "$db" || fail "plain: decision breaks the schemas"
python3 - "$FAKE_PORT" <<'PY' || fail "plain: request shape"
import json, sys, urllib.request
reqs = json.load(urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/_requests"))
last = reqs[-1]
assert last["stream"] is False and "stream_options" not in last, last.keys()
assert last["response_format"] == {"type": "json_object"}, last["response_format"]
assert "JSON Schema" in last["messages"][0]["content"]
PY
echo "ok - plain completions, json_object mode"

# --- a small context budget: older turns become the Scribe's summary
db=$tmp/budget.db
long=$(python3 -c 'print("Alice: " + "We have many constraints to weigh here. " * 60)')
{ head -n 1 "$here/scripts/ai_en.txt"; echo "$long"; tail -n +3 "$here/scripts/ai_en.txt"; } >"$tmp/long.txt"
run "$db" "$tmp/long.txt" --set llm.context_budget_tokens=500
grep -q 'Decision approved by Alice' "$out" || fail "budget: not approved"
[ "$(q "$db" "select count(*) from llm_summaries")" = 1 ] || fail "budget: no summary stored"
[ "$(q "$db" "select count(*) from llm_calls where purpose='summary' and outcome='ok'")" -ge 1 ] || fail "budget: no summary call"
[ "$(q "$db" "select count(*) from messages where text like 'We have many constraints%'")" = 1 ] || fail "budget: the full transcript must stay stored"
python3 - "$FAKE_PORT" <<'PY' || fail "budget: prompt still carries the whole transcript"
import json, sys, urllib.request
reqs = json.load(urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/_requests"))
later = [r for r in reqs if "[xio:scribe]" in r["messages"][0]["content"]]
assert later, "no scribe request"
user = later[-1]["messages"][-1]["content"]
assert "Summary of the earlier discussion" in user and user.count("We have many constraints") == 0, user[:400]
PY
echo "ok - context budget: summary stored, prompts shortened"
echo "5 passed, 0 failed"
