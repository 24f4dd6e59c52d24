#!/usr/bin/env bash
# Runs OpenViking's own black-box API suite (tests/api_test at commit cebc45907, unmodified) against
# a freshly built VikingScope on a free loopback port, with a temporary DATA_DIR and the root key the
# suite expects. Usage:
#   scripts/ov-api-suite.sh [--url URL | --cluster N [--member I]] [SUITE_DIR] [-- pytest args...]
# --url URL: run against a server already running there (started with ROOT_API_KEY=test-root-api-key).
# --cluster N: start N processes in distributed mode (scripts/cluster.ts, the library of `npm run
# cluster`) on a fresh PostgreSQL database (created under $TEST_DATABASE_URL_BASE, default
# postgres://postgres@127.0.0.1:5432, dropped after) and run against member I (default 1).
# SUITE_DIR defaults to $OV_API_TEST_DIR, else the suite is taken from the OpenViking git mirror
# ($OV_MIRROR, default /work/.mirror/volcengine+OpenViking/repo). Needs python3 with pytest, requests
# and psutil (Debian: python3-pytest python3-requests python3-psutil). Exit code: pytest's.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
suite="${OV_API_TEST_DIR:-}"
url=""
cluster=0
member=1
while [[ $# -gt 0 ]]; do
  case "$1" in
    --url) url="${2:?--url needs a URL}"; shift 2 ;;
    --cluster) cluster="${2:?--cluster needs a number of processes}"; shift 2 ;;
    --member) member="${2:?--member needs a member number}"; shift 2 ;;
    *) break ;;
  esac
done
[[ "$cluster" =~ ^[0-9]+$ && "$member" =~ ^[0-9]+$ ]] || { echo "--cluster and --member take numbers" >&2; exit 2; }
[[ -n "$url" && "$cluster" -gt 0 ]] && { echo "--url and --cluster exclude each other" >&2; exit 2; }
[[ "$cluster" -gt 0 && "$member" -ge "$cluster" ]] && { echo "--member must be below --cluster" >&2; exit 2; }
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
pg_base="${TEST_DATABASE_URL_BASE:-postgres://postgres@127.0.0.1:5432}"
pg_base="${pg_base%/}"
database=""
# One statement on the maintenance database, through the project's own pg client.
pg_admin() {
  (cd "$root" && PG_URL="$pg_base/postgres" PG_SQL="$1" node -e '
    const pg = require("pg");
    const c = new pg.Client({ connectionString: process.env.PG_URL });
    c.connect().then(() => c.query(process.env.PG_SQL)).finally(() => c.end()).catch((e) => { console.error(e.message); process.exit(1); });')
}
cleanup() {
  [[ -n "$server_pid" ]] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
  [[ -n "$database" ]] && pg_admin "DROP DATABASE IF EXISTS $database WITH (FORCE)"
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

log="$work/server.log"
if [[ -z "$url" ]]; then
  (cd "$root" && node node_modules/typescript/bin/tsc -p scripts/tsconfig.build.json)
fi
if [[ "$cluster" -gt 0 ]]; then
  database="vs_ov_$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')"
  pg_admin "CREATE DATABASE $database"
  DATABASE_URL="$pg_base/$database" ROOT_API_KEY="$key" EMBEDDER=builtin HOST=127.0.0.1 LOG_LEVEL=warn \
    node "$root/dist/scripts/cluster.js" --processes "$cluster" --data-dir "$work/cluster" >"$log" 2>&1 &
  server_pid=$!
  for _ in $(seq 1 600); do
    url="$(sed -n "s/^p$member: \(http:[^ ]*\) .*/\1/p" "$log")"
    [[ -n "$url" ]] && grep -q '^Ctrl-C' "$log" && break
    url=""
    kill -0 "$server_pid" 2>/dev/null || { cat "$log" >&2; exit 3; }
    sleep 0.2
  done
  [[ -z "$url" ]] && { cat "$log" >&2; exit 3; }
  echo "cluster of $cluster on database $database; the suite runs against member $member at $url" >&2
elif [[ -z "$url" ]]; then
  port="$(node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')"
  DATA_DIR="$work/data" ROOT_API_KEY="$key" EMBEDDER=builtin PORT="$port" HOST=127.0.0.1 LOG_LEVEL=warn \
    node "$root/dist/src/main.js" >"$log" 2>&1 &
  server_pid=$!
  url="http://127.0.0.1:$port"
fi
for _ in $(seq 1 100); do
  curl -sf "$url/health" >/dev/null 2>&1 && break
  [[ -n "$server_pid" ]] && { kill -0 "$server_pid" 2>/dev/null || { cat "$log" >&2; exit 3; }; }
  sleep 0.2
done
host="${url#*://}"
host="${host%%/*}"
port="${host##*:}"
host="${host%:*}"

status=0
(cd "$suite" && SERVER_HOST="$host" SERVER_PORT="$port" OPENVIKING_API_KEY="$key" \
  OPENVIKING_ACCOUNT=default OPENVIKING_USER=default OPENVIKING_AGENT=default \
  "$python" -m pytest -q -o log_cli=false "$@") || status=$?
if [[ $status -ne 0 && -n "${OV_SUITE_SERVER_LOG:-}" && -f "$log" ]]; then cp "$log" "$OV_SUITE_SERVER_LOG"; fi
exit $status
