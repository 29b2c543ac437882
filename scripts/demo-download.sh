#!/bin/bash
# Demo: download the bundled sample image from a local HTTP server (python3),
# verified against its signature while it streams, then decompressed with -d.
# Usage: scripts/demo-download.sh [WORKDIR]   (needs: node, python3)
set -euo pipefail
source "$(dirname "$0")/lib-demo.sh" "$@"
mkdir -p "$work/srv" "$work/out"
if ! have python3; then
  echo "== python3 is not installed: skipping the download demo (it serves the image over local HTTP)"
  exit 0
fi
cp "$here/fixtures/metal/sample-metal.raw.xz" "$here/fixtures/metal/sample-metal.raw.xz.sig" "$work/srv/"
key=$here/fixtures/metal/sample-signing-key.pub.asc

# A local server on a free port; stopped (by its own pid) when the demo ends.
python3 -u -c '
import functools, http.server, sys
class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass
server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=sys.argv[1]))
print(server.server_address[1], flush=True)
server.serve_forever()
' "$work/srv" > "$work/port" &
server=$!
trap 'kill "$server" 2>/dev/null; wait "$server" 2>/dev/null || true' EXIT
for _ in $(seq 300); do [ -s "$work/port" ] && break; sleep 0.1; done
[ -s "$work/port" ] || { echo "the local HTTP server did not start"; exit 1; }
url="http://127.0.0.1:$(cat "$work/port")/sample-metal.raw.xz"

echo "== nestos-installer download -u $url --signing-key sample-signing-key.pub.asc -C out"
$cli download -u "$url" --signing-key "$key" -C "$work/out"
echo; echo "== and decompressed (-d)"
$cli download -u "$url" --signing-key "$key" -d -C "$work/out"
ls -l "$work/out" | sed "s|$work/||"
