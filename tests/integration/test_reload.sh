#!/usr/bin/env bash
# test_reload.sh — SIGHUP reads the config again (issue 10, "config
# reloads" in the audit log): the real binary with its HTTP API; the config
# file is changed and the process signalled.  Live keys (API token, log
# level, consilium settings) apply at once — a consilium opened after the
# reload runs with the new max_rounds — others are named as needing a
# restart, the audit line names keys and never a value, and a config that
# does not load changes nothing.
set -euo pipefail

: "${XIO_BIN:?XIO_BIN must name the xio binary}"
tmp=$(mktemp -d)
pid=
cleanup() {
	[ -z "$pid" ] || kill -KILL "$pid" 2>/dev/null || true
	exec 3>&- 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT
. "$(dirname "$0")/clean_env.sh"
cd "$tmp"

fail() {
	echo "FAIL: $*" >&2
	[ ! -f err.log ] || { echo "--- xio's log:" >&2; cat err.log >&2; }
	exit 1
}
ok() { echo "ok - $*"; }

port=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
secret="123456:TELEGRAM-secret-must-not-leak"
write_config() { # max_rounds token level [extra line]
	printf 'store:\n  path: %s/x.db\nchat:\n  adapters: [console]\nhttp:\n  port: %s\n  api_token: %s\nlog:\n  level: %s\n  format: json\nconsilium:\n  max_rounds: %s\n%s' \
		"$tmp" "$port" "$2" "$3" "$1" "${4:-}" >c.yaml.new
	mv c.yaml.new c.yaml
}
get() { # token path
	curl -s -o body.json -w '%{http_code}' -H "Authorization: Bearer $1" "http://127.0.0.1:$port$2"
}
# Waits until the audit holds n reload lines (read with token).
wait_reloads() { # token n
	local i
	for i in $(seq 100); do
		if [ "$(get "$1" '/api/audit?actor=operator')" = 200 ] &&
			[ "$(python3 -c 'import json;print(len(json.load(open("body.json"))["items"]))')" -ge "$2" ]; then
			cp body.json audit.json
			return 0
		fi
		sleep 0.05
	done
	fail "no config.reload line number $2 in the audit log"
}

write_config 3 tok-first-123456 info
# the console adapter reads a FIFO held open here, so that a consilium can
# be opened after the reload
mkfifo in
"$XIO_BIN" run -c c.yaml <in >out.log 2>err.log &
pid=$!
exec 3>in
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
[ "$(get tok-first-123456 /api/consiliums)" = 200 ] || fail "the first token does not work"

# ---- a good config: live keys applied, the adapter's token needs a restart --
write_config 5 tok-second-654321 warn "telegram:
  bot_token: \"$secret\"
"
kill -HUP "$pid"
wait_reloads tok-second-654321 1
python3 - "$secret" <<'PY' || fail "the reload's audit line"
import json, sys
item = json.load(open("audit.json"))["items"][0]
assert item["action"] == "config.reload" and item["actor"] == "operator", item
d = item["detail"]
assert d["ok"] is True, d
assert set(d["changed"]) == {"http.api_token", "log.level", "consilium.max_rounds", "telegram.bot_token"}, d
assert set(d["applied"]) == {"http.api_token", "log.level", "consilium.max_rounds"}, d
assert d["restart_needed"] == ["telegram.bot_token"], d
PY
ok "SIGHUP applied the API token, log level and max_rounds; telegram.bot_token needs a restart"
[ "$(get tok-first-123456 /api/consiliums)" = 401 ] || fail "the replaced token still works"
echo "/consilium Which queue for the reports?" >&3
for _ in $(seq 100); do grep -q "Round 1 of" out.log && break; sleep 0.05; done
grep -q "Round 1 of 5\." out.log || fail "the new max_rounds is not used: $(grep Round out.log)"
ok "a consilium opened after the reload runs with max_rounds 5 (was 3)"
grep -q "$secret\|tok-second-654321" audit.json err.log out.log && fail "a secret reached the audit or the log"
ok "the old token is refused; no secret in the audit line or the log"

# ---- a config that does not load: nothing changes -------------------------
write_config 0 tok-third-111111 info
kill -HUP "$pid"
wait_reloads tok-second-654321 2
python3 - <<'PY' || fail "the failed reload's audit line"
import json
d = json.load(open("audit.json"))["items"][0]["detail"]
assert d["ok"] is False and d["error_code"], d
PY
grep -q '"module":"reload".*consilium.max_rounds' err.log || fail "the log does not name the bad key"
# log.level warn from the first reload: the second SIGHUP's info line is gone
[ "$(grep -c 'SIGHUP: reading' err.log)" = 1 ] || fail "log.level warn did not take effect"
[ "$(get tok-third-111111 /api/consiliums)" = 401 ] || fail "a config that failed to load was applied"
[ "$(get tok-second-654321 /api/consiliums)" = 200 ] || fail "the running config was lost"
curl -sf "http://127.0.0.1:$port/healthz" >/dev/null || fail "xio stopped answering after a bad reload"
ok "a config that does not load changes nothing: logged with its key, audited as failed; log.level took effect"

exec 3>&-
kill -TERM "$pid"
rc=0
wait "$pid" || rc=$?
pid=
[ "$rc" = 0 ] || fail "xio exited $rc after SIGTERM"
grep -q "ERROR: AddressSanitizer\|runtime error:" err.log && fail "sanitizer report"
ok "SIGTERM after the reloads: clean exit"
