#!/usr/bin/env bash
# test_check_config.sh — `xio check-config` on a good and a bad file: exit
# codes 0 / 1 / 2, "FILE: ok", every error as FILE:LINE: key: message on
# stderr, no secret value in the output, and --print-example.
set -euo pipefail

: "${XIO_BIN:?XIO_BIN must name the xio binary}"
: "${XIO_SOURCE_DIR:?XIO_SOURCE_DIR must name the source tree}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
. "$(dirname "$0")/clean_env.sh"

fail() { echo "FAIL: $*" >&2; exit 1; }

expect_status() { # want_status cmd...
	local want=$1 got=0
	shift
	"$@" >"$tmp/out" 2>"$tmp/err" || got=$?
	[ "$got" = "$want" ] || { cat "$tmp/out" "$tmp/err" >&2; fail "$* exited $got, want $want"; }
}

cat >"$tmp/good.yaml" <<'YAML'
log:
  level: debug
http:
  port: 9000
  api_token: ${XIO_TEST_TOKEN:-}
chat:
  adapters: [console, slack]
slack:
  bot_token: ${XIO_TEST_SLACK}
  app_token: xapp-1-test
YAML

cat >"$tmp/bad.yaml" <<'YAML'
log:
  level: loud
http:
  port: 70000
  api_token: s3cr3t-not-for-eyes
llm:
  modle: x
  stream:
    nested: 1
YAML

# A misspelt variable is a warning that names the one it meant; the file
# still checks out.
XIO_TEST_SLACK=xoxb-1 XIO_TELEGRAM_TOKEN=1 expect_status 0 "$XIO_BIN" check-config "$tmp/good.yaml"
grep -qx "warning: XIO_TELEGRAM_TOKEN sets no setting; did you mean XIO_TELEGRAM_BOT_TOKEN?" "$tmp/err" ||
	fail "misspelt variable not reported: $(cat "$tmp/err")"

# A good file, its secret coming from the environment.
XIO_TEST_SLACK=xoxb-123-456-abcdef expect_status 0 "$XIO_BIN" check-config "$tmp/good.yaml"
grep -qx "$tmp/good.yaml: ok" "$tmp/out" || fail "no ok line: $(cat "$tmp/out")"
[ ! -s "$tmp/err" ] || fail "stderr not empty: $(cat "$tmp/err")"

# The same file with the variable unset: an error naming file, line and key.
expect_status 1 "$XIO_BIN" check-config "$tmp/good.yaml"
grep -q "^$tmp/good.yaml:9: slack.bot_token: environment variable XIO_TEST_SLACK is not set" "$tmp/err" ||
	fail "unset variable not reported: $(cat "$tmp/err")"

# A bad file: every error, with its line, on stderr.
expect_status 1 "$XIO_BIN" check-config "$tmp/bad.yaml"
[ ! -s "$tmp/out" ] || fail "stdout not empty on failure"
for want in \
	"$tmp/bad.yaml:2: log.level: \"loud\" is not one of: debug, info, warn, error" \
	"$tmp/bad.yaml:4: http.port: \"70000\" is out of range [0..65535]" \
	"$tmp/bad.yaml:7: llm.modle: unknown key (did you mean llm.model?)" \
	"$tmp/bad.yaml:8: llm.stream: expected true or false, got a mapping"; do
	grep -qxF "$want" "$tmp/err" || fail "missing '$want' in: $(cat "$tmp/err")"
done
[ "$(wc -l <"$tmp/err")" = 4 ] || fail "expected 4 errors: $(cat "$tmp/err")"
! grep -q s3cr3t "$tmp/err" || fail "a secret was printed"

# A wrongly typed environment override is named.
XIO_HTTP_PORT=eighty expect_status 1 "$XIO_BIN" check-config "$tmp/good.yaml"
grep -q "^env XIO_HTTP_PORT: http.port: expected an integer" "$tmp/err" ||
	fail "env error not reported: $(cat "$tmp/err")"

# Malformed YAML and a missing file: one error naming the file.
printf 'log:\n  level: [info\n' >"$tmp/broken.yaml"
expect_status 1 "$XIO_BIN" check-config "$tmp/broken.yaml"
grep -q "^$tmp/broken.yaml:3: malformed YAML" "$tmp/err" || fail "bad YAML: $(cat "$tmp/err")"
expect_status 1 "$XIO_BIN" check-config "$tmp/none.yaml"
grep -q "^$tmp/none.yaml: cannot read the config file" "$tmp/err" || fail "missing file: $(cat "$tmp/err")"

# Usage errors.
expect_status 2 "$XIO_BIN" check-config
expect_status 2 "$XIO_BIN" check-config a.yaml b.yaml
expect_status 2 "$XIO_BIN" check-config --bogus

# The example is what the binary generates, and it checks clean.
expect_status 0 "$XIO_BIN" check-config --print-example
cmp -s "$tmp/out" "$XIO_SOURCE_DIR/config/xio.example.yaml" ||
	fail "config/xio.example.yaml differs from --print-example; regenerate it"
cp "$tmp/out" "$tmp/example.yaml"
expect_status 0 "$XIO_BIN" check-config "$tmp/example.yaml"

echo "check-config: all good"
