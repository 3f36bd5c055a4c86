#!/bin/bash
# install_ws.sh PREFIX — CTest fixture: installs the `ws` package under PREFIX
# for the fake Slack.  Skips (77) only when node/npm are missing.
set -eu
prefix=${1:?usage: install_ws.sh PREFIX}
if ! command -v npm >/dev/null 2>&1 || ! command -v node >/dev/null 2>&1; then
	echo "SKIP: npm/node not found; the fake Slack needs them"
	exit 77
fi
if [ -f "$prefix/node_modules/ws/package.json" ]; then
	echo "ws already installed in $prefix"
	exit 0
fi
mkdir -p "$prefix"
npm install --no-audit --no-fund --prefix "$prefix" ws@8
node -e 'console.log("installed ws " + require(process.argv[1]).version)' "$prefix/node_modules/ws/package.json"
