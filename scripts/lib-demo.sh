# The prologue of every demo part (scripts/demo-*.sh), sourced by each:
#   set -euo pipefail; source "$(dirname "$0")/lib-demo.sh" "$@"
# A part runs alone as `scripts/demo-X.sh [WORKDIR]` or from scripts/demo.sh,
# which gives it a WORKDIR inside its own temporary directory. (Not named
# demo-*.sh: scripts/demo.sh runs every such file as a part.)
# Sets: here (the project root), cli (the built CLI, built first if missing),
# work (WORKDIR, or a new temporary directory; made), and run and have.
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cli="node $here/dist/main.js"
[ -f "$here/dist/main.js" ] || (cd "$here" && npm run build >/dev/null)
work=${1:-$(mktemp -d)}
mkdir -p "$work"
# A command as the reader would type it, then its output.
run() { echo "\$ nestos-installer $*"; $cli "$@"; }
have() { command -v "$1" >/dev/null 2>&1; }
