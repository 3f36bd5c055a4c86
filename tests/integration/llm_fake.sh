# llm_fake.sh — sourced by the LLM integration tests: starts
# tests/fakes/fake_llm.py on a free loopback port (FAKE_PORT, LLM_URL) and
# stops it on exit; fake_control JSON changes its faults at run time.
start_fake() { # [extra args for fake_llm.py]
  local pf="$tmp/fake.port"
  rm -f "$pf"
  python3 "$XIO_SOURCE_DIR/tests/fakes/fake_llm.py" --port-file "$pf" "$@" >/dev/null 2>"$tmp/fake.err" &
  FAKE_PID=$!
  for _ in $(seq 1 500); do [ -s "$pf" ] && break; sleep 0.01; done
  [ -s "$pf" ] || { echo "FAIL: fake LLM did not start"; cat "$tmp/fake.err"; exit 1; }
  FAKE_PORT=$(cat "$pf")
  LLM_URL="http://127.0.0.1:$FAKE_PORT/v1"
}
stop_fake() {
  if [ -n "${FAKE_PID:-}" ]; then kill "$FAKE_PID" 2>/dev/null || true; wait "$FAKE_PID" 2>/dev/null || true; FAKE_PID=; fi
}
fake_control() { # JSON
  python3 - "$FAKE_PORT" "$1" <<'PY'
import sys, urllib.request
req = urllib.request.Request(f"http://127.0.0.1:{sys.argv[1]}/_control", data=sys.argv[2].encode(), method="POST")
urllib.request.urlopen(req, timeout=10).read()
PY
}
# check_decision DB: the stored decision log and every task are valid
# against the schemas (XIO's validator, itself checked against ajv).
check_decision() {
  local db=$1 d="$tmp/decision.$RANDOM"
  mkdir -p "$d"
  sqlite3 "$db" "select log from decisions" >"$d/log.json"
  sqlite3 "$db" "select json from tasks order by idx" | awk -v d="$d" '{ f = d "/task" NR ".json"; print > f; close(f) }'
  "$XIO_BINARY_DIR/schema_check" "$XIO_SOURCE_DIR/config/schemas/notion.decision_log.json" "$d/log.json" | grep -q ' valid$' || return 1
  if ls "$d"/task*.json >/dev/null 2>&1; then
    ! "$XIO_BINARY_DIR/schema_check" "$XIO_SOURCE_DIR/config/schemas/notion.task.json" "$d"/task*.json | grep -v ' valid$' | grep -q . || return 1
  fi
}
