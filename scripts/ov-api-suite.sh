#!/usr/bin/env bash
# Runs OpenViking's own black-box API suite (tests/api_test at commit cebc45907, unmodified) against
# a freshly built VikingScope on a free loopback port, with a temporary DATA_DIR and the root key the
# suite expects. Usage:
#   scripts/ov-api-suite.sh [SUITE_DIR] [-- pytest args...]
# SUITE_DIR defaults to $OV_API_TEST_DIR, else the suite is taken from the OpenViking git mirror
# ($OV_MIRROR, default /work/.mirror/volcengine+OpenViking/repo). Needs python3 with pytest, requests
# and psutil (Debian: python3-pytest python3-requests python3-psutil). Exit code: pytest's.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
suite="${OV_API_TEST_DIR:-}"
if [[ $# -gt 0 && "$1" != "--" ]]; then suite="$1"; shift; fi
[[ "${1:-}" == "--" ]] && shift
mirror="${OV_MIRROR:-/work/.mirror/volcengine+OpenViking/repo}"
commit="cebc45907"
key="test-root-api-key"

python=""
for candidate in "${PYTHON:-}" python3 /usr/bin/python3; do
  [[ -z "$candidate" ]] && continue
  if "$candidate" -c 'import pytest, requests, psutil' 2>/dev/null; then python="$candidate"; break; fi
done
[[ -z "$python" ]] && { echo "no python3 with pytest, requests and psutil" >&2; exit 2; }

work="$(mktemp -d -t vs-ov-suite-XXXXXX)"
server_pid=""
cleanup() {
  [[ -n "$server_pid" ]] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

if [[ -z "$suite" ]]; then
  mkdir "$work/api_test"
  git -C "$mirror" archive "$commit:tests/api_test" | tar -x -C "$work/api_test"
  suite="$work/api_test"
else
  # A copy, so the run's own files (exports/, pytest cache) never land in the given folder.
  cp -r "$suite" "$work/api_test"
  suite="$work/api_test"
fi

(cd "$root" && node node_modules/typescript/bin/tsc -p scripts/tsconfig.build.json)
port="$(node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')"
log="$work/server.log"
DATA_DIR="$work/data" ROOT_API_KEY="$key" EMBEDDER=builtin PORT="$port" HOST=127.0.0.1 LOG_LEVEL=warn \
  node "$root/dist/src/main.js" >"$log" 2>&1 &
server_pid=$!
for _ in $(seq 1 100); do
  curl -sf "http://127.0.0.1:$port/health" >/dev/null 2>&1 && break
  kill -0 "$server_pid" 2>/dev/null || { cat "$log" >&2; exit 3; }
  sleep 0.2
done

status=0
(cd "$suite" && SERVER_HOST=127.0.0.1 SERVER_PORT="$port" OPENVIKING_API_KEY="$key" \
  OPENVIKING_ACCOUNT=default OPENVIKING_USER=default OPENVIKING_AGENT=default \
  "$python" -m pytest -q -o log_cli=false "$@") || status=$?
if [[ $status -ne 0 && -n "${OV_SUITE_SERVER_LOG:-}" ]]; then cp "$log" "$OV_SUITE_SERVER_LOG"; fi
exit $status
