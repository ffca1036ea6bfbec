#!/usr/bin/env bash
# Zhengwu benchmark, one command, one run: requests/s and p99 latency at 64 concurrent
# connections (wrk, from Debian) for
#   baseline   bare axum "hello" (bench/hello)
#   /notices   server-rendered page, and /api/v1/notices JSON: as served (page cache on,
#              the default) and rendered afresh every time (page cache off), on SQLite, and
#              on PostgreSQL too when a server answers
# each reported as a ratio to the baseline measured in the same run; plus idle and loaded
# memory of the server and the release .wasm size (raw and brotli); and application
# submissions per second (bench/submissions) against raw inserts of the same rows; and workflow
# transitions per second under 4 concurrent approvers against plain writes of the same rows.
# usage: bench/run.sh [seconds per run, default 10]
set -euo pipefail
cd "$(dirname "$0")/.."
say() { printf '\033[1m[bench]\033[0m %s\n' "$*"; }
DURATION=${1:-10}
CONNS=64
THREADS=2
pg_url=${ZHENGWU_TEST_PG_URL:-postgres://postgres@127.0.0.1:5432/postgres}

bash scripts/tools.sh bench
bash scripts/build.sh release
say "building the baselines (bench/hello, bench/submissions; release)"
cargo build --quiet --release -p zhengwu-bench-hello -p zhengwu-bench-submissions

work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

wait_ready() { for _ in $(seq 100); do curl -fs "$1" >/dev/null 2>&1 && return 0; sleep 0.1; done; echo "error: $1 did not answer" >&2; exit 1; }
rss_kib() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }

target/release/zhengwu-bench-hello 127.0.0.1:3901 & pids+=($!)
ZHENGWU_LOG=warn target/release/zhengwu serve --addr 127.0.0.1:3902 --data-dir "$work/data" --demo & zw=$!; pids+=($zw)
ZHENGWU_LOG=warn ZHENGWU_PAGE_CACHE_TTL=0 target/release/zhengwu serve --addr 127.0.0.1:3904 --data-dir "$work/data2" --demo & pids+=($!)
wait_ready http://127.0.0.1:3901/
wait_ready http://127.0.0.1:3902/readyz
wait_ready http://127.0.0.1:3904/readyz
curl -fs http://127.0.0.1:3902/notices >/dev/null; curl -fs http://127.0.0.1:3902/api/v1/notices >/dev/null
sleep 1
idle_kib=$(rss_kib "$zw")

pg_port=""
if psql "$pg_url" -qAtc 'SELECT 1' >/dev/null 2>&1; then
  psql "$pg_url" -qAtc "DROP DATABASE IF EXISTS zw_bench WITH (FORCE)" >/dev/null
  psql "$pg_url" -qAtc "CREATE DATABASE zw_bench" >/dev/null
  pg_bench_url=$(python3 -c "import sys,urllib.parse as u; p=u.urlparse(sys.argv[1]); print(p._replace(path='/zw_bench').geturl())" "$pg_url")
  ZHENGWU_LOG=warn ZHENGWU_PAGE_CACHE_TTL=0 target/release/zhengwu serve --addr 127.0.0.1:3903 --data-dir "$work/pgdata" --database-url "$pg_bench_url" --demo & pids+=($!)
  wait_ready http://127.0.0.1:3903/readyz
  pg_port=3903
fi

results=()
measure() { # name url
  local name=$1 url=$2 out
  wrk -t"$THREADS" -c"$CONNS" -d2s "$url" >/dev/null # warm-up
  out=$(wrk -t"$THREADS" -c"$CONNS" -d"${DURATION}s" --latency "$url")
  local rps p99 errors
  rps=$(awk '/^Requests\/sec:/ {print $2}' <<<"$out")
  p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
  errors=$(awk '/Non-2xx or 3xx responses:/ {print $5}' <<<"$out")
  results+=("$name|$url|$rps|$p99|${errors:-0}")
  say "$name: $rps req/s, p99 $p99${errors:+, $errors non-2xx}"
}

measure "baseline: axum hello" http://127.0.0.1:3901/
measure "/notices (SSR, as served: page cache)" http://127.0.0.1:3902/notices
measure "/api/v1/notices (JSON, as served: page cache)" http://127.0.0.1:3902/api/v1/notices
measure "/notices (SSR, uncached, SQLite)" http://127.0.0.1:3904/notices
measure "/api/v1/notices (JSON, uncached, SQLite)" http://127.0.0.1:3904/api/v1/notices
if [ -n "$pg_port" ]; then
  measure "/notices (SSR, uncached, PostgreSQL)" http://127.0.0.1:$pg_port/notices
  measure "/api/v1/notices (JSON, uncached, PostgreSQL)" http://127.0.0.1:$pg_port/api/v1/notices
fi
loaded_kib=$(rss_kib "$zw")

wasm=target/site/pkg/zhengwu_bg.wasm
wasm_raw=$(stat -c %s "$wasm"); wasm_br=$(brotli -q 11 -c "$wasm" | wc -c); wasm_gz=$(gzip -9 -c "$wasm" | wc -c)
js_br=$(brotli -q 11 -c target/site/pkg/zhengwu.js | wc -c)

say "submissions and workflow transitions (bench/submissions), 4 at a time"
submissions=$(ZHENGWU_TEST_PG_URL="$pg_url" target/release/zhengwu-bench-submissions 2000 4)
echo "$submissions"

base_rps=$(cut -d'|' -f3 <<<"${results[0]}")
mkdir -p bench/results
report=bench/results/latest.md
{
  echo "# Zhengwu benchmark — $(date -u +%Y-%m-%dT%H:%MZ)"
  echo
  echo "Machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB; wrk -t$THREADS -c$CONNS -d${DURATION}s on the same machine (load generator and server share the cores)."
  echo
  echo "| what | requests/s | p99 latency | ratio to baseline | non-2xx |"
  echo "|---|---:|---:|---:|---:|"
  for r in "${results[@]}"; do
    IFS='|' read -r name url rps p99 errors <<<"$r"
    ratio=$(python3 -c "print(f'{float($rps)/float($base_rps):.3f}')")
    echo "| $name | $rps | $p99 | $ratio | $errors |"
  done
  echo
  echo "Server memory (RSS): idle $((idle_kib / 1024)) MiB after start-up; $((loaded_kib / 1024)) MiB after the runs."
  echo
  echo "Browser bundle: zhengwu_bg.wasm $wasm_raw B raw, $wasm_gz B gzip, $wasm_br B brotli; zhengwu.js $js_br B brotli."
  echo
  echo "## Application submissions and workflow transitions"
  echo
  echo "2000 submissions, 4 at a time, in-process (bench/submissions): each is the whole rule set of"
  echo "zhengwu_core::cases::save — validation, sealed answers, the idempotency hold, the tracking-number"
  echo "counter, case + attachment metadata + timeline + chained audit record in one transaction. The"
  echo "baseline, measured in the same run alternately, is a plain insert of the same rows (case, file,"
  echo "timeline, the first step's three tasks, audit) in one transaction."
  echo
  echo "Then 500 cases accepted and approved (1000 transitions) by three reviewers, 4 at a time: each"
  echo "transition is zhengwu_core::workflow::act — the case's row taken, the task checked, siblings"
  echo "cancelled, the clock started, the next tasks created, timeline and chained audit record. The"
  echo "baseline is the same row writes as plain statements, one transaction each, alternately."
  echo
  echo "$submissions"
} > "$report"
echo; cat "$report"
