#!/usr/bin/env bash
# Faults of the LLM in every phase of an AI consilium (selector policy, so
# that the Moderator selects, the experts speak, the Moderator judges, the
# Integrator and the Scribe draft, and a small budget makes the Scribe
# summarise).  Each run must end by itself with a stored, schema-valid,
# approved decision and a drained outbox: transient faults are retried
# away, permanent ones are reported in the thread and the consilium goes on
# (round robin, no consensus, the rule-based extractor).
set -euo pipefail
BIN=${XIO_BIN:?}
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
. "$here/llm_fake.sh"
trap 'stop_fake; rm -rf "$tmp"' EXIT
out="$tmp/out.txt"
fail() { echo "FAIL: $*"; echo "--- output:"; tail -n 40 "$out" 2>/dev/null; echo "--- log:"; tail -n 15 "$tmp/err.txt"; exit 1; }
start_fake
long=$(python3 -c 'print("Alice: " + "We have many constraints to weigh here. " * 40)')
# Alice states her decision, so that a draft of the rule-based extractor has
# one to approve (/approve refuses a draft without a decision)
{ head -n 1 "$here/scripts/ai_en.txt"; echo "$long"; tail -n +3 "$here/scripts/ai_en.txt"; } |
  sed 's/the team knows Postgres\./the team knows Postgres. Let'"'"'s go with the replica./' >"$tmp/script.txt"
grep -q "go with the replica" "$tmp/script.txt"
n=0

case_run() { # name faults-json expect-grep...
  local name=$1 faults=$2 db="$tmp/$n.db"; shift 2
  n=$((n + 1))
  fake_control "{\"faults\": $faults}"
  XIO_LLM_BASE_URL=$LLM_URL timeout 60 "$BIN" console --db "$db" --session t \
    --set consilium.max_rounds=2 --set consilium.policy=selector \
    --set llm.max_retries=1 --set llm.first_token_timeout_sec=1 --set llm.timeout_sec=5 \
    --set llm.context_budget_tokens=600 --set outbox.backoff_base_ms=10 \
    <"$tmp/script.txt" >"$out" 2>"$tmp/err.txt" || fail "$name: exit $?"
  [ "$(sqlite3 "$db" "select status from decisions")" = approved ] || fail "$name: no approved decision"
  check_decision "$db" || fail "$name: decision breaks the schemas"
  [ "$(sqlite3 "$db" "select count(*) from outbox where state <> 2")" = 0 ] || fail "$name: outbox not drained"
  [ "$(sqlite3 "$db" "select count(*) from messages where author='Alice' and author_kind='human'")" = 2 ] || fail "$name: a human line was lost"
  for want in "$@"; do
    grep -q -- "$want" "$out" || fail "$name: expected '$want' in the thread"
  done
  echo "ok - $name"
}

# transient faults, once, in each phase: retried, the run is as without faults
for phase in select turn judge integrator scribe summary; do
  kinds="429 cut"
  # the rest where they matter most (each stall costs a timeout)
  case $phase in turn|integrator) kinds="$kinds 500 error_chunk stall" ;; esac
  for kind in $kinds; do
    case_run "$kind during $phase" "[{\"match\":\"$phase\",\"kind\":\"$kind\",\"count\":1,\"retry_after\":0}]" \
      'The council agrees' 'Decision: Option B'
  done
done
case_run "retry-after-ms" '[{"match":"turn","kind":"429","count":1,"retry_after_ms":50}]' 'The council agrees'
case_run "error as a plain string" '[{"match":"judge","kind":"error_string","count":1}]' 'The council agrees'

# answers that cannot be used
case_run "invalid JSON selection" '[{"match":"select","kind":"invalid_json","count":-1}]' 'The council agrees'
case_run "selection breaking the schema" '[{"match":"select","kind":"bad_schema","count":-1}]' 'The council agrees'
case_run "invalid JSON judgement" '[{"match":"judge","kind":"invalid_json","count":-1}]' 'last round' 'Decision: Option B'
case_run "empty turn" '[{"match":"turn","kind":"empty","count":-1}]' 'could not answer this time' 'The council agrees'
case_run "decision log repaired" '[{"match":"integrator","kind":"bad_schema","count":1}]' 'Decision: Option B'
case_run "tasks repaired" '[{"match":"scribe","kind":"invalid_json","count":1}]' 'Set up the Postgres replica'
case_run "decision log invalid twice" '[{"match":"integrator","kind":"bad_schema","count":2}]' \
  'did not pass validation twice'
case_run "tasks invalid twice" '[{"match":"scribe","kind":"bad_schema","count":-1},{"match":"repair:scribe","kind":"bad_schema","count":-1}]' \
  'did not pass validation twice'

# permanent failures: reported, and the consilium still ends
case_run "dead LLM (500 always)" '[{"match":"","kind":"500","count":-1}]' \
  'could not answer this time: the AI service is unavailable' 'could not judge this round' \
  'The AI could not draft the decision'
case_run "API key refused" '[{"match":"","kind":"401","count":-1}]' 'refused our API key'
case_run "unknown model" '[{"match":"","kind":"404","count":-1}]' 'model or endpoint was not found'
case_run "stalled streams" '[{"match":"turn","kind":"stall","count":-1}]' 'did not answer in time'
grep -q 'llm.api_key\|llm.model\|first_token_timeout' "$tmp/err.txt" || fail "the log does not say what to check"
fake_control '{"faults": []}'
echo "$n passed, 0 failed"
