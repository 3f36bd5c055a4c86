#!/usr/bin/env bash
# test_extract_cli.sh — `xio extract` end to end: a transcript file and stdin
# in, JSON out (checked with python3's json module), the exit statuses for
# bad arguments (2) and unreadable files (1), and --lang/--now/--tz.
set -u
bin=${XIO_BIN:?XIO_BIN not set}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
check() { # name, condition result
	if [ "$2" -eq 0 ]; then echo "ok   $1"; else echo "FAIL $1"; fail=1; fi
}

cat >"$tmp/en.txt" <<'T'
Alice: Let's discuss the release.
Bob: Option A: ship on Monday. Pro: faster feedback. Con: less testing.
Alice: Risk: the migration could lose data. Mitigation: take a backup first.
Alice: Decision: we ship on Monday.
Alice: @bob please update the API docs by Friday, it's urgent.
Carol: I'll prepare the release notes tomorrow at 15:00.
Bob: I already fixed the login bug.
Alice: Someone needs to check the backups by Dec 1.
Bob: I'll take it.
T

"$bin" extract --now 2025-11-26T10:00:00Z --tz Europe/Moscow "$tmp/en.txt" >"$tmp/out.json" 2>"$tmp/err"
check "extract exits 0" $?
python3 - "$tmp/out.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
tasks = {t["title"]: t for t in d["tasks"]}
assert set(d) >= {"decisions", "tasks", "alternatives", "risks"}, d.keys()
assert len(d["tasks"]) == 3, d["tasks"]
t = tasks["update the API docs"]
assert (t["owner"], t["due"], t["priority"]) == ("Bob", "2025-11-28", "high"), t
t = tasks["prepare the release notes"]
assert (t["owner"], t["due"]) == ("Carol", "2025-11-27T15:00:00+03:00"), t
t = tasks["check the backups"]
assert (t["owner"], t["due"]) == ("Bob", "2025-12-01"), t
for t in d["tasks"]:
    assert set(t) >= {"title", "owner", "due", "priority", "confidence"}, t
    assert 0 < t["confidence"] <= 1
assert d["decisions"][0]["text"] == "we ship on Monday", d["decisions"]
assert d["alternatives"][0]["pros"] == ["faster feedback"], d["alternatives"]
assert d["risks"][0]["mitigation"] == "take a backup first", d["risks"]
PY
check "extract JSON content" $?

# stdin, Russian, an offset in --now read in the zone
printf 'Анна: Борис, подготовь отчёт до пятницы.\nБорис: Ок, сделаю.\n' |
	"$bin" extract --lang ru --now 2025-11-26T23:30:00+03:00 --tz Europe/Moscow - >"$tmp/ru.json"
check "extract from stdin" $?
python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert [(t["owner"], t["due"]) for t in d["tasks"]] == [("Борис", "2025-11-28")], d
' "$tmp/ru.json"
check "russian transcript from stdin" $?

# --now without an offset is local time in --tz
printf 'Alice: I will ship it tomorrow.\n' >"$tmp/tz.txt"
due=$("$bin" extract --now 2025-11-26T23:30 --tz America/New_York "$tmp/tz.txt" |
	python3 -c 'import json,sys; print(json.load(sys.stdin)["tasks"][0]["due"])')
[ "$due" = "2025-11-27" ]
check "--now local in --tz (got $due)" $?

# without --now: runs against the wall clock
"$bin" extract "$tmp/tz.txt" | python3 -c 'import json,sys; assert len(json.load(sys.stdin)["tasks"]) == 1'
check "default now and UTC" $?

# bad arguments: exit 2 with usage
for args in "" "--lang fr $tmp/en.txt" "--tz Mars/Base $tmp/en.txt" "--now yesterday $tmp/en.txt" \
	"--bogus $tmp/en.txt" "$tmp/en.txt $tmp/en.txt" "--tz"; do
	# shellcheck disable=SC2086
	"$bin" extract $args >/dev/null 2>"$tmp/err"
	rc=$?
	[ $rc -eq 2 ] && grep -q usage "$tmp/err"
	check "bad args '$args' → 2 (got $rc)" $?
done
"$bin" extract --tz Mars/Base "$tmp/en.txt" 2>&1 >/dev/null | grep -q "Mars/Base"
check "unknown zone is named" $?

# unreadable file: exit 1 naming it
"$bin" extract "$tmp/missing.txt" >/dev/null 2>"$tmp/err"
rc=$?
[ $rc -eq 1 ] && grep -q "missing.txt" "$tmp/err"
check "missing file → 1 naming it (got $rc)" $?
"$bin" extract "$tmp" >/dev/null 2>"$tmp/err"
rc=$?
[ $rc -eq 1 ]
check "a directory → 1 (got $rc)" $?

"$bin" extract --help >/dev/null 2>&1
check "--help exits 0" $?

# binary junk and invalid UTF-8 still give valid JSON
head -c 4096 /dev/urandom >"$tmp/junk.txt"
printf 'Alice: I\xff\xfe will fix \xd0 it by Friday\n' >>"$tmp/junk.txt"
"$bin" extract --now 2025-11-26T10:00:00Z "$tmp/junk.txt" | python3 -c 'import json,sys; json.load(sys.stdin)'
check "junk input gives JSON" $?

exit $fail
