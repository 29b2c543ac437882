#!/usr/bin/env bash
# `npm run demo`: the main jobs on the bundled defaults, on a fresh machine.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '\n$ %s\n' "$*" >&2; }
ni() { node dist/main.js "$@"; }

say nestos-installer list-stream --stream-base-url streams/
ni list-stream --stream-base-url streams/

for part in scripts/demo-*.sh; do
  [ -e "$part" ] && bash "$part"
done
