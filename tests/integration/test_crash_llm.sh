#!/usr/bin/env bash
# Crash safety with the LLM on: the procedure of test_crash.sh (an
# uninterrupted reference run, then 50+ SIGKILLs at random instants with
# restarts, then equal stored state and each message delivered once) on a
# scripted AI consilium whose experts are answered by the fake LLM.  The fake
# is deterministic — a reply is a function of the prompt — so a completion
# redone after a kill gives the same transcript as the uninterrupted run.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
. "$here/llm_fake.sh"
trap 'stop_fake; rm -rf "$tmp"' EXIT
start_fake
export XIO_LLM_BASE_URL=$LLM_URL
CRASH_SCRIPTS="$here/scripts/ai_en.txt $here/scripts/ai_en.txt" CRASH_ROUNDS=3 \
  CRASH_LINE_DELAY_MS=30 bash "$here/test_crash.sh"
