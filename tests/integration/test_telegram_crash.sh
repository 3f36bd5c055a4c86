#!/usr/bin/env bash
# SIGKILL crash test through Telegram (see telegram_crash.py).
set -euo pipefail
: "${XIO_BIN:?}"
here=$(cd "$(dirname "$0")" && pwd)
exec python3 "$here/telegram_crash.py" "$@"
