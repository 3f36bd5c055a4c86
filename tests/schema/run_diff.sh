#!/bin/bash
# run_diff.sh CHECK_BIN AJV_PREFIX CORPUS_DIR SCHEMA_DIR — the differential
# schema test.  For each schema (decision_log -> notion.decision_log.json,
# task -> notion.task.json) it runs ajv and XIO's validator over the corpus,
# and fails if they disagree on any file, if a verdict contradicts the
# folder the file is in (valid/ or invalid/), or if a schema has fewer than
# 30 documents.  Exits 77 (skip) only when node/npm is missing.
set -u
check=${1:?}; prefix=${2:?}; corpus=${3:?}; schemas=${4:?}
here=$(cd "$(dirname "$0")" && pwd)
if ! command -v npm >/dev/null 2>&1 || ! command -v node >/dev/null 2>&1; then
	echo "SKIP: npm/node not found; the ajv differential schema test needs them"
	exit 77
fi
if [ ! -f "$prefix/node_modules/ajv/package.json" ]; then
	echo "FAIL: ajv is not installed in $prefix (the schema_ajv_install fixture failed?)"
	exit 1
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
for pair in decision_log:notion.decision_log task:notion.task; do
	name=${pair%%:*}; tool=${pair#*:}
	files=$(ls "$corpus/$name"/valid/*.json "$corpus/$name"/invalid/*.json | sort)
	count=$(echo "$files" | wc -l)
	if [ "$count" -lt 30 ]; then
		echo "FAIL: $name: only $count documents in the corpus (need 30)"
		fail=1
	fi
	# shellcheck disable=SC2086
	node "$here/ajv_check.mjs" "$prefix" "$schemas/$tool.json" $files >"$tmp/$name.ajv" || {
		echo "FAIL: $name: ajv_check.mjs failed"; fail=1; continue; }
	# shellcheck disable=SC2086
	"$check" "$schemas/$tool.json" $files >"$tmp/$name.xio" || {
		echo "FAIL: $name: $check failed"; fail=1; continue; }
	if ! diff -u "$tmp/$name.ajv" "$tmp/$name.xio" >"$tmp/$name.diff"; then
		echo "FAIL: $name: ajv (-) and XIO (+) disagree:"
		cat "$tmp/$name.diff"
		fail=1
	fi
	while read -r file verdict; do
		folder=$(basename "$(dirname "$file")")
		if [ "$verdict" != "$folder" ]; then
			echo "FAIL: $file: XIO says $verdict but it is in $folder/"
			fail=1
		fi
	done <"$tmp/$name.xio"
	while read -r file verdict; do
		folder=$(basename "$(dirname "$file")")
		if [ "$verdict" != "$folder" ]; then
			echo "FAIL: $file: ajv says $verdict but it is in $folder/"
			fail=1
		fi
	done <"$tmp/$name.ajv"
	echo "$name: $count documents, ajv and XIO agree: $(grep -c ' valid$' "$tmp/$name.xio") valid, $(grep -c ' invalid$' "$tmp/$name.xio") invalid"
done
exit $fail
