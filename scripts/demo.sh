#!/usr/bin/env bash
# `npm run demo`: every headline command on the bundled samples, on a fresh
# machine (Node, npm, python3, g++ and what Debian always has: no sgdisk,
# xorriso, cpio, xz or zstd). A step that needs root or a missing tool says so
# and the demo goes on. Everything happens in one temporary directory that is
# removed at the end.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '\n$ %s\n' "$*" >&2; }
ni() { node dist/main.js "$@"; }

work=$(mktemp -d "${TMPDIR:-/tmp}/nestos-demo.XXXXXX")
trap 'rm -rf "$work"' EXIT

say nestos-installer list-stream --stream-base-url streams/
ni list-stream --stream-base-url streams/

for part in scripts/demo-*.sh; do
  [ -e "$part" ] || continue
  name=$(basename "$part" .sh)
  mkdir -p "$work/$name"
  bash "$part" "$work/$name"
done
