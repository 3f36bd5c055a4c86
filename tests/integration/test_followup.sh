#!/usr/bin/env bash
# Follow-up through the real binary and the console: a consilium closes and
# its tasks get reminders; /tasks, /done and /snooze work in the closed
# thread; reminders that came due while the service was down go out at the
# next start as one message per thread, without the task marked done.  Then
# the same catch-up under SIGKILLs at random instants: at the end every
# reminder is sent, none was lost and none was posted twice.
# (Exact reminder times, zones, DST and quiet hours are covered on a fake
# clock by tests/unit/test_scheduler.c.)
set -euo pipefail
BIN=${XIO_BIN:?}
here=$(cd "$(dirname "$0")" && pwd)
kills=${FOLLOWUP_KILLS:-30}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; echo "--- output:"; tail -n 40 "$tmp/out.txt" 2>/dev/null; exit 1; }
db=$tmp/f.db
xio() { timeout 60 "$BIN" console --db "$1" --session "$2" --set consilium.max_rounds=6 \
          --set followup.quiet_hours= >"$tmp/out.txt" 2>>"$tmp/err.txt"; }

# --- a consilium closes: its dated tasks get a reminder before and at the due
# time, the decision a review ping
xio "$db" s1 <"$here/scripts/consilium_en.txt" || fail "consilium run"
[ "$(sqlite3 "$db" "select count(*) from reminders where kind='before'")" -ge 2 ] || fail "no before-reminders"
[ "$(sqlite3 "$db" "select count(*) from reminders where kind='due'")" -ge 2 ] || fail "no due-reminders"
[ "$(sqlite3 "$db" "select count(*) from reminders where kind='review'")" = 1 ] || fail "no review ping"
[ "$(sqlite3 "$db" "select count(*) from outbox where kind='remind' and state=2")" = 1 ] || fail "remind row not done"
# the Postgres task is due 15 December: its due reminder is 09:00 UTC that day
sqlite3 "$db" "select strftime('%m-%d %H:%M', due_at/1000, 'unixepoch') from reminders r join tasks t on t.consilium_id=r.consilium_id and t.idx=r.task_idx where r.kind='due' and t.title like '%Postgres%'" | grep -qx '12-15 09:00' || fail "due time"
echo "ok - reminders scheduled when the decision is approved"

# --- follow-up commands in the closed thread
printf 'Carol: /tasks\nCarol: /done runbook\nBob: /snooze invoice 2d\n' | xio "$db" s2 || fail "commands run"
grep -q 'Open tasks' "$tmp/out.txt" || fail "/tasks after approval"
grep -q '@Bob; due: 20[0-9][0-9]-12-15' "$tmp/out.txt" || fail "/tasks owners and dues"
grep -q 'Done: “write the rollback runbook” (closed by Carol)' "$tmp/out.txt" || fail "/done"
grep -q 'Snoozed “check the invoice exports” until' "$tmp/out.txt" || fail "/snooze"
[ "$(sqlite3 "$db" "select status from tasks where title like '%runbook%'")" = done ] || fail "task status stored"
[ "$(sqlite3 "$db" "select json_extract(tasks, '\$[0].status') from decisions")" = done ] || fail "decision tasks updated"
[ "$(sqlite3 "$db" "select count(*) from outbox where kind='task_status'")" = 2 ] || fail "task_status rows"
[ "$(sqlite3 "$db" "select count(*) from reminders r join tasks t on t.consilium_id=r.consilium_id and t.idx=r.task_idx where t.title like '%runbook%' and r.state=0")" = 0 ] || fail "done task still has reminders"
echo "ok - /tasks, /done, /snooze on the closed consilium"

# --- downtime: move every pending reminder into the past, as if the service
# had been down until after them all
sqlite3 "$db" "update reminders set due_at = due_at - (select max(due_at) from reminders) + strftime('%s','now')*1000 - 60000 where state=0"
cp "$db" "$tmp/crash.db"
printf '' | xio "$db" s3 || fail "catch-up run"
[ "$(grep -c '^\[Scribe\] Missed while I was offline:' "$tmp/out.txt")" = 1 ] || fail "not one coalesced message"
grep -q '@Bob, “set up the Postgres replica”' "$tmp/out.txt" || fail "Bob's reminder missing"
grep -q 'Was it the right call?' "$tmp/out.txt" || fail "review ping missing"
if grep -q 'rollback runbook' "$tmp/out.txt"; then fail "a done task was reminded"; fi
[ "$(sqlite3 "$db" "select count(*) from reminders where state=0 and kind<>'digest'")" = 0 ] || fail "reminders left pending"
printf '' | xio "$db" s4 || fail "second run"
if grep -q 'Reminder' "$tmp/out.txt"; then fail "reminders sent twice"; fi
echo "ok - missed reminders sent once, coalesced, after downtime"

# --- the same catch-up under SIGKILL at random instants
cdb=$tmp/crash.db
killed=0
attempt=0
while [ "$killed" -lt "$kills" ]; do
  attempt=$((attempt + 1))
  [ "$attempt" -le $((kills * 5)) ] || fail "could not kill $kills times"
  sleep 0.15 | "$BIN" console --db "$cdb" --session "k$attempt" --set followup.quiet_hours= \
      >>"$tmp/crash.out" 2>>"$tmp/err.txt" &
  pid=$!
  ms=$((RANDOM % 60))
  sleep "0.0$(printf '%02d' "$ms")"
  if kill -9 "$pid" 2>/dev/null; then killed=$((killed + 1)); fi
  wait "$pid" 2>/dev/null || true
done
printf '' | timeout 60 "$BIN" console --db "$cdb" --session final --set followup.quiet_hours= \
  >>"$tmp/crash.out" 2>>"$tmp/err.txt" || fail "final run after kills"
[ "$(sqlite3 "$cdb" "select count(*) from reminders where state=0 and kind<>'digest'")" = 0 ] || fail "reminders lost after kills"
[ "$(sqlite3 "$cdb" "select count(*) from outbox where key like 'rem:%' and state<>2")" = 0 ] || fail "reminder posts not delivered"
python3 - "$cdb.console.jsonl" "$db.console.jsonl" <<'PY' || fail "delivery check"
import json, sys, collections
got = [json.loads(l) for l in open(sys.argv[1])]
ref = [json.loads(l) for l in open(sys.argv[2])]
rem = [r for r in got if r["key"].startswith("rem:")]
dups = [k for k, n in collections.Counter(r["key"] for r in rem).items() if n > 1]
assert not dups, f"reminder posted twice: {dups}"
want = [r["text"] for r in ref if r["key"].startswith("rem:")]
assert [r["text"] for r in rem] == want, (rem, want)
print(f"ok - {len(rem)} reminder message(s) after the kills, each posted exactly once")
PY
echo "ok - catch-up survives $killed SIGKILLs"
echo "4 passed, 0 failed"
