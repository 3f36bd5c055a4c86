#!/usr/bin/env bash
# Whole consiliums through the fake Telegram Bot API (tests/fakes/
# fake_telegram.py) and the real `xio run`: forum topic by polling, plain
# group by webhook with persona bots, and the awkward cases.
set -euo pipefail
: "${XIO_BIN:?}"
here=$(cd "$(dirname "$0")" && pwd)
exec python3 "$here/telegram_e2e.py" "$@"
