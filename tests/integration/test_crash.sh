#!/usr/bin/env bash
# Crash safety, tested: the scripted consilium is run once uninterrupted,
# then again on a fresh store while being killed with SIGKILL at random
# instants (at least 50 times) and restarted each time with the same input.
# At the end the stored transcript, decision log and tasks must equal those
# of the uninterrupted run, and no bot message may have been emitted twice
# (the console's delivery journal holds each outbox key once).
set -euo pipefail
BIN=${XIO_BIN:?}
here=$(cd "$(dirname "$0")" && pwd)
kills=${CRASH_KILLS:-50}
tmp=$(mktemp -d)
# two consiliums in a row in one thread (the second recalls the first as a
# precedent), so that a run is long enough to be cut at many points
script=$tmp/script.txt
# CRASH_SCRIPTS, CRASH_ROUNDS and CRASH_LINE_DELAY_MS let variants (the LLM
# crash test) reuse this procedure with their own script and pace.
rounds=${CRASH_ROUNDS:-6}
delay_ms=${CRASH_LINE_DELAY_MS:-5}
# shellcheck disable=SC2086
cat ${CRASH_SCRIPTS:-"$here/scripts/consilium_en.txt" "$here/scripts/consilium_ru.txt"} >"$script"
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

run() { timeout 60 "$BIN" console --db "$1" --session crash --set consilium.max_rounds=$rounds <"$script" >>"$2" 2>>"$tmp/err.txt"; }

dump() { # db -> normalised state, without times
  sqlite3 "$1" "select author || '|' || author_kind || '|' || text from messages order by id"
  echo "--- decision"
  sqlite3 "$1" "select status, json_remove(log, '$.created_at', '$.updated_at'), tasks from decisions"
  echo "--- consiliums"
  sqlite3 "$1" "select thread_key, phase, step from consiliums"
  echo "--- outbox"
  sqlite3 "$1" "select key, kind, state from outbox order by id"
}

run "$tmp/ref.db" "$tmp/ref.out" || fail "reference run failed"
dump "$tmp/ref.db" >"$tmp/ref.dump"
nlines=$(wc -l <"$script")

# Each crash run gets the script through a pipe, a line every few ms, so the
# process is alive for the whole script and a kill at a random instant cuts
# it anywhere: before, inside or after any step.  Lines it already handled
# are skipped on the next run (inbound dedupe), the rest are handled then.
pause=$(printf '0.%03d' "$delay_ms")
feed() { while IFS= read -r l; do printf '%s\n' "$l"; sleep "$pause"; done <"$script"; }
span_ms=$((nlines * delay_ms + 100))
killed=0
attempt=0
while [ "$killed" -lt "$kills" ]; do
  attempt=$((attempt + 1))
  [ "$attempt" -le $((kills * 5)) ] || fail "could not kill $kills times in $attempt attempts"
  feed | "$BIN" console --db "$tmp/crash.db" --session crash --set consilium.max_rounds=$rounds \
      >>"$tmp/crash.out" 2>>"$tmp/err.txt" &
  pid=$!
  ms=$((RANDOM % span_ms))
  sleep "$(printf '%d.%03d' $((ms / 1000)) $((ms % 1000)))"
  if kill -9 "$pid" 2>/dev/null; then
    killed=$((killed + 1))
  fi
  wait "$pid" 2>/dev/null || true
done
run "$tmp/crash.db" "$tmp/crash.out" || fail "final run after crashes failed"
dump "$tmp/crash.db" >"$tmp/crash.dump"

if ! diff -u "$tmp/ref.dump" "$tmp/crash.dump" >"$tmp/diff.txt"; then
  head -n 40 "$tmp/diff.txt"
  fail "state after $killed kills differs from the uninterrupted run"
fi
echo "ok - stored transcript, decision and tasks equal after $killed SIGKILLs"

# exactly once: each outbox key delivered once, and the delivered sequence
# equals the reference
python3 - "$tmp/ref.db.console.jsonl" "$tmp/crash.db.console.jsonl" <<'PY' || fail "delivery check"
import json, sys, collections
ref = [json.loads(l) for l in open(sys.argv[1])]
got = [json.loads(l) for l in open(sys.argv[2])]
dups = [k for k, n in collections.Counter(r["key"] for r in got).items() if n > 1]
assert not dups, f"emitted twice: {dups[:5]}"
assert [(r["key"], r["text"]) for r in got] == [(r["key"], r["text"]) for r in ref], "delivered messages differ"
print(f"ok - {len(got)} bot messages, each emitted exactly once, in order")
PY
echo "2 passed, 0 failed"
