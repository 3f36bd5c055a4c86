#!/bin/bash
# install_ajv.sh PREFIX — CTest fixture: installs ajv@8 under PREFIX for the
# differential schema test.  Skips (exit 77) only when npm is missing; any
# other failure (registry unreachable, broken install) fails the test.
set -eu
prefix=${1:?usage: install_ajv.sh PREFIX}
if ! command -v npm >/dev/null 2>&1 || ! command -v node >/dev/null 2>&1; then
	echo "SKIP: npm/node not found; the ajv differential schema test needs them"
	exit 77
fi
pkg=$prefix/node_modules/ajv/package.json
if [ -f "$pkg" ] && node -e 'process.exit(require(process.argv[1]).version.startsWith("8.") ? 0 : 1)' "$pkg"; then
	echo "ajv already installed in $prefix"
	exit 0
fi
mkdir -p "$prefix"
npm install --no-audit --no-fund --prefix "$prefix" ajv@8
node -e 'console.log("installed ajv " + require(process.argv[1]).version)' "$pkg"
