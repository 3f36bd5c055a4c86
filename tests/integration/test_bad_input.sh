#!/usr/bin/env bash
# test_bad_input.sh — the real binary against bad input (issue 3, "Bad
# input"): a malformed or missing config, a store path that is a directory or
# a garbage file, an HTTP port already taken, oversized and malformed HTTP
# requests, SIGTERM, and the plain subcommands.  Each failure must print one
# error line naming the thing at fault and exit non-zero, with no crash and
# nothing written; a server must keep running after bad requests.
set -euo pipefail

: "${XIO_BIN:?XIO_BIN must name the xio binary}"
tmp=$(mktemp -d)
pids=()
cleanup() {
	local p
	for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
	rm -rf "$tmp"
}
trap cleanup EXIT
. "$(dirname "$0")/clean_env.sh"
cd "$tmp"

fail() { echo "FAIL: $*" >&2; exit 1; }

# run_expect STATUS NEEDLE cmd... — exit STATUS, exactly one stderr line,
# containing NEEDLE, and no sanitizer or crash report.
run_expect() {
	local want=$1 needle=$2 got=0
	shift 2
	timeout 20 "$@" >"$tmp/out" 2>"$tmp/err" </dev/null || got=$?
	[ "$got" = "$want" ] || { cat "$tmp/err" >&2; fail "$* exited $got, want $want"; }
	[ "$(wc -l <"$tmp/err")" = 1 ] || fail "$*: want one error line, got: $(cat "$tmp/err")"
	grep -qF -- "$needle" "$tmp/err" || fail "$*: '$needle' not in: $(cat "$tmp/err")"
}

# A config for `xio run` with HTTP on PORT and the store at DB.
config() { # file db port [adapters]
	printf 'store:\n  path: %s\nchat:\n  adapters: [%s]\nhttp:\n  port: %s\n  max_body_bytes: 2048\nlog:\n  format: json\n' \
		"$2" "${4:-}" "$3" >"$1"
}

# ---- configs ---------------------------------------------------------------
printf 'log:\n  level: [info\n' >broken.yaml
run_expect 1 "broken.yaml:3: malformed YAML" "$XIO_BIN" run -c broken.yaml
run_expect 1 "missing.yaml: cannot read the config file" "$XIO_BIN" run -c missing.yaml
run_expect 1 "missing.yaml" "$XIO_BIN" console -c missing.yaml
[ ! -e var ] || fail "a bad config still created the store"

# ---- stores ------------------------------------------------------------------
mkdir adir
config dir.yaml "$tmp/adir" 0
run_expect 1 "store $tmp/adir: cannot open" "$XIO_BIN" run -c dir.yaml
[ -z "$(ls -A adir)" ] || fail "something was written into the directory"

head -c 8192 /dev/urandom >garbage.db
sum=$(md5sum <garbage.db)
config garbage.yaml "$tmp/garbage.db" 0
run_expect 1 "store $tmp/garbage.db: file is not a database" "$XIO_BIN" run -c garbage.yaml
[ "$(md5sum <garbage.db)" = "$sum" ] || fail "the garbage file was modified"
[ ! -e garbage.db-wal ] || fail "a -wal file appeared next to the garbage file"

# ---- a port in use -----------------------------------------------------------
python3 - "$XIO_BIN" "$tmp" <<'PY' || fail "port in use"
import socket, subprocess, sys
xio, tmp = sys.argv[1], sys.argv[2]
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(1)
port = s.getsockname()[1]
with open(f"{tmp}/busy.yaml", "w") as f:
    f.write(f"store:\n  path: {tmp}/busy.db\nchat:\n  adapters: []\nhttp:\n  port: {port}\n")
r = subprocess.run([xio, "run", "-c", f"{tmp}/busy.yaml"], capture_output=True, timeout=20,
                   stdin=subprocess.DEVNULL)
err = r.stderr.decode().strip().splitlines()
assert r.returncode == 1, (r.returncode, err)
assert len(err) == 1 and f"127.0.0.1:{port} is already in use" in err[0], err
PY

# ---- a running server: bad requests, then SIGTERM -----------------------------
# Starts `xio run -c FILE` with stdin from a FIFO kept open; sets pid, port.
start() { # config-file
	rm -f in.fifo
	mkfifo in.fifo
	"$XIO_BIN" run -c "$1" <in.fifo >run.out 2>run.err &
	pid=$!
	pids+=("$pid")
	exec 3>in.fifo
	port=
	for _ in $(seq 100); do
		port=$(sed -n 's/.*HTTP on 127.0.0.1:\([0-9]*\).*/\1/p' run.err)
		[ -n "$port" ] && break
		kill -0 "$pid" 2>/dev/null || { cat run.err >&2; fail "xio run died at start"; }
		sleep 0.1
	done
	[ -n "$port" ] || fail "no HTTP port in: $(cat run.err)"
}

status() { curl -s -o /dev/null -w '%{http_code}' --max-time 10 "$@" || true; }

config srv.yaml "$tmp/srv.db" 0 console
start srv.yaml
[ "$(status "http://127.0.0.1:$port/healthz")" = 200 ] || fail "healthz"
# a body over http.max_body_bytes: 413
head -c 100000 /dev/zero >big.bin
[ "$(status -X GET --data-binary @big.bin "http://127.0.0.1:$port/healthz")" = 413 ] ||
	fail "oversized body not refused with 413"
# a malformed request line / header: 400, or the connection is dropped
python3 - "$port" <<'PY' || fail "malformed request"
import socket, sys
port = int(sys.argv[1])
def ask(raw):
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    s.sendall(raw)
    data = b""
    try:
        while True:
            b = s.recv(4096)
            if not b:
                break
            data += b
    except socket.timeout:
        pass
    s.close()
    return data
r = ask(b"GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n")
assert r.startswith(b"HTTP/1.1 400"), r[:80]
r = ask(b"\x01\x02\xff garbage \r\n\r\n")
assert r == b"" or r.startswith(b"HTTP/1.1 4"), r[:80]
# a header far beyond any limit: refused or dropped, never a crash
r = ask(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 200000 + b"\r\n\r\n")
assert r == b"" or r.startswith(b"HTTP/1.1 4"), r[:80]
PY
kill -0 "$pid" 2>/dev/null || fail "xio run died after bad requests"
[ "$(status "http://127.0.0.1:$port/healthz")" = 200 ] || fail "healthz after bad requests"
grep -q '"status":413' run.err || fail "the 413 was not logged"

# some real work, then SIGTERM: exit 0 and the data is there
printf '/consilium Should we move billing to Postgres?\n' >&3
for _ in $(seq 100); do
	grep -q "your view" run.out && break
	sleep 0.1
done
grep -q "your view" run.out || fail "the bot did not answer: $(cat run.out run.err)"
kill -TERM "$pid"
rc=0
wait "$pid" || rc=$?
exec 3>&-
[ "$rc" = 0 ] || fail "SIGTERM: exit $rc: $(tail -5 run.err)"
! grep -qiE "sanitizer|runtime error" run.err || fail "sanitizer report: $(cat run.err)"
python3 - "$tmp/srv.db" <<'PY' || fail "store after SIGTERM"
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
assert db.execute("SELECT count(*) FROM consiliums").fetchone()[0] == 1
assert db.execute("SELECT count(*) FROM messages").fetchone()[0] >= 2
q = db.execute("SELECT question FROM consiliums").fetchone()[0]
assert q == "Should we move billing to Postgres?", q
PY

# ---- subcommands -------------------------------------------------------------
"$XIO_BIN" help >out 2>err || fail "xio help exited $?"
grep -q "usage: xio" out || fail "xio help printed no usage"
"$XIO_BIN" version >out 2>err || fail "xio version exited $?"
grep -qE '^xio [0-9]+\.[0-9]+' out || fail "xio version: $(cat out)"
run_expect 2 "unknown command 'frobnicate'" "$XIO_BIN" frobnicate
# an unknown option: the error line first, then the usage
rc=0
"$XIO_BIN" run --bogus >out 2>err </dev/null || rc=$?
[ "$rc" = 2 ] || fail "xio run --bogus exited $rc"
head -1 err | grep -qF "unknown option '--bogus'" || fail "xio run --bogus: $(cat err)"
echo "bad input: ok"
