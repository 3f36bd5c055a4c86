#!/usr/bin/env bash
# Sets up what is missing, builds, and starts XIO.
#
#   deploy/run.sh                 the embedded default: the console adapter
#                                 and a SQLite file under ./var/, no accounts
#   deploy/run.sh run -c FILE     the service as FILE (and XIO_* variables) say
#   deploy/run.sh <any xio args>  passed to build/xio unchanged
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
"$here/deploy/setup.sh" >&2
if [ $# -eq 0 ]; then
  mkdir -p var
  exec "$here/build/xio" console --db var/xio.db
fi
exec "$here/build/xio" "$@"
