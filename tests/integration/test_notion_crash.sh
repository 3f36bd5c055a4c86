#!/usr/bin/env bash
# Notion export through the real binary, killed at random instants.
#
# The console runs several consiliums to approval (each approval exports a
# decision with its tasks to the fake Notion, which fails 20% of requests:
# 500s, 429s, timeouts and creates whose answer is lost), and types /export
# once after an approval.  The process is killed with SIGKILL at random
# instants and restarted until the script is through; then every approved
# decision must be in Notion exactly once, with exactly its tasks, each task
# related to its page, and the thread must have got the links; /done of a
# task after the export must reach its row.
set -euo pipefail
BIN=${XIO_BIN:?}
SRC=${XIO_SOURCE_DIR:?}
here=$(cd "$(dirname "$0")" && pwd)
kills=${NOTION_KILLS:-15}
n=${NOTION_CONSILIUMS:-5}
tmp=$(mktemp -d)
fake_pid=
cleanup() {
  [ -n "$fake_pid" ] && kill "$fake_pid" 2>/dev/null && wait "$fake_pid" 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; tail -n 20 "$tmp/err.txt" 2>/dev/null; exit 1; }

python3 "$SRC/tests/fakes/fake_notion.py" --port-file "$tmp/port" --rate 1000 --burst 1000 >/dev/null &
fake_pid=$!
for _ in $(seq 200); do [ -s "$tmp/port" ] && break; sleep 0.05; done
port=$(cat "$tmp/port") || fail "fake Notion did not start"
ctl() { python3 - "$port" "$@" <<'PY'
import sys, urllib.request
port, method, path = sys.argv[1], sys.argv[2], sys.argv[3]
data = sys.argv[4].encode() if len(sys.argv) > 4 else None
req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=data, method=method,
                             headers={"Content-Type": "application/json"})
print(urllib.request.urlopen(req).read().decode())
PY
}
ctl POST /_fake/faults '{"rate":0.2,"kinds":["500","429","timeout","lost"],"seed":3,"stall_ms":600}' >/dev/null

script=$tmp/script.txt
for i in $(seq "$n"); do
  sed "s/Should we move billing from MySQL to Postgres?/Should we move billing $i from MySQL to Postgres?/" \
    "$here/scripts/consilium_en.txt"
done >"$script"
echo "Bob: /export" >>"$script"
echo "Carol: /done 1" >>"$script"
nlines=$(wc -l <"$script")

sets=(--set notion.token=secret_fake_token --set "notion.api_url=http://127.0.0.1:$port/v1"
      --set notion.decisions_db=dec-db --set notion.tasks_db=task-db
      --set notion.rate_per_sec=200 --set notion.timeout_ms=400
      --set outbox.backoff_base_ms=50 --set outbox.backoff_max_ms=500 --set outbox.max_attempts=100
      --set consilium.max_rounds=6)
feed() { while IFS= read -r l; do printf '%s\n' "$l"; sleep 0.01; done <"$script"; }
span_ms=$((nlines * 10 + 500))
killed=0
attempt=0
while [ "$killed" -lt "$kills" ]; do
  attempt=$((attempt + 1))
  [ "$attempt" -le $((kills * 5)) ] || fail "could not kill $kills times"
  feed | "$BIN" console --db "$tmp/x.db" --session notion "${sets[@]}" >>"$tmp/out.txt" 2>>"$tmp/err.txt" &
  pid=$!
  ms=$((RANDOM % span_ms))
  sleep "$(printf '%d.%03d' $((ms / 1000)) $((ms % 1000)))"
  if kill -9 "$pid" 2>/dev/null; then killed=$((killed + 1)); fi
  wait "$pid" 2>/dev/null || true
done
timeout 120 "$BIN" console --db "$tmp/x.db" --session notion "${sets[@]}" <"$script" \
  >>"$tmp/out.txt" 2>>"$tmp/err.txt" || fail "final run failed"

# what the store says should be in Notion: per approved decision, its first
# export key and its number of tasks
sqlite3 "$tmp/x.db" "select (select key from outbox o where o.consilium_id = d.consilium_id and o.kind = 'export' order by id limit 1), json_array_length(d.tasks) from decisions d where d.status = 'approved' order by d.consilium_id" >"$tmp/expected.txt"
sqlite3 "$tmp/x.db" "select key, state from outbox where kind = 'export' and state <> 2" >"$tmp/undone.txt"
[ -s "$tmp/undone.txt" ] && { cat "$tmp/undone.txt"; fail "export rows not done"; }
ctl GET /_fake/state >"$tmp/state.json"
python3 - "$tmp/expected.txt" "$tmp/state.json" "$n" "$tmp/x.db.console.jsonl" <<'PY' || fail "Notion content"
import json, sys, collections
expected = [l.split("|") for l in open(sys.argv[1]).read().split("\n") if l]
state = json.load(open(sys.argv[2]))
n = int(sys.argv[3])
def plain(p, name):
    v = p["properties"].get(name, {})
    return "".join(x["plain_text"] for x in v.get("rich_text", v.get("title", [])))
pages = [p for p in state["pages"] if p["db"] == "dec-db"]
tasks = [p for p in state["pages"] if p["db"] == "task-db"]
assert len(expected) == n, f"{len(expected)} approved decisions, expected {n}"
keys = collections.Counter(plain(p, "XIO key") for p in pages)
dups = [k for k, c in keys.items() if c > 1]
assert not dups, f"pages created twice: {dups}"
tkeys = collections.Counter(plain(p, "XIO key") for p in tasks)
assert not [k for k, c in tkeys.items() if c > 1], "task rows created twice"
assert len(pages) == n, f"{len(pages)} pages for {n} decisions"
by_key = {plain(p, "XIO key"): p for p in pages}
ntasks = 0
for key, count in expected:
    assert key in by_key, f"no page for {key}"
    page = by_key[key]
    for i in range(1, int(count) + 1):
        t = [x for x in tasks if plain(x, "XIO key") == f"{key}:task:{i}"]
        assert len(t) == 1, f"{key} task {i}: {len(t)} rows"
        assert t[0]["properties"]["Decision"]["relation"] == [{"id": page["id"]}], "relation"
    ntasks += int(count)
    assert ntasks and len(state["blocks"][page["id"]]) > 5, "page body"
assert len(tasks) == ntasks, f"{len(tasks)} task rows, expected {ntasks}"
links = [json.loads(l) for l in open(sys.argv[4])]
linked = {p["url"] for p in pages if any(p["url"] in r["text"] for r in links)}
assert len(linked) == n, f"links posted for {len(linked)} of {n} pages"
last_key = expected[-1][0]
t1 = [x for x in tasks if plain(x, "XIO key") == f"{last_key}:task:1"][0]
assert t1["properties"]["Status"]["select"]["name"] == "done", f"/done did not reach Notion: {t1['properties']['Status']}"
print(f"ok - {n} decisions, {ntasks} tasks exported exactly once through {state['faults']} faults; links posted")
PY
grep -q "asked for the export again" "$tmp/out.txt" || fail "/export was not answered"
echo "ok - survived $killed SIGKILLs"
echo "2 passed, 0 failed"
