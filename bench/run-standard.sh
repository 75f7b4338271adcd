#!/usr/bin/env bash
# The standard benchmark set: the HTTP ceiling (wrk on /healthz), then every baton-bench
# scenario against a fresh server each run, then bench/results/latest.md with the medians,
# each scenario's ratio to the ceiling, and the budgets of DESIGN.md.
#
# Builds nothing: it expects $BUILD/baton and $BUILD/baton-bench (make bench builds them).
# About five minutes on a 2-core machine with the defaults. Knobs (environment):
#   BUILD=build          where baton and baton-bench are
#   RUNS=3               runs per throughput scenario (medians are reported)
#   DURATION=5s WARMUP=1s CONNECTIONS=64
#   STATE_N=100000       processes for recovery and memory (the budgets speak of 1M:
#                        STATE_N=1000000 runs that, in about ten more minutes)
#   CRON_N=10000         schedules due in one second (the budget speaks of 100k:
#                        CRON_N=100000 adds about a minute)
#   STATUS_N=10000       processes the status scenario GETs
#   OUT=bench/results    where the JSON files, plots and latest.md go
set -euo pipefail

cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
RUNS=${RUNS:-3}
DURATION=${DURATION:-5s}
WARMUP=${WARMUP:-1s}
CONNECTIONS=${CONNECTIONS:-64}
STATE_N=${STATE_N:-100000}
CRON_N=${CRON_N:-10000}
STATUS_N=${STATUS_N:-10000}
OUT=${OUT:-bench/results}

BATON=$BUILD/baton
BENCH=$BUILD/baton-bench
for bin in "$BATON" "$BENCH"; do
  [ -x "$bin" ] || { echo "run-standard: $bin is missing; build it first (make bench)" >&2; exit 2; }
done

RUN_DIR=$OUT/runs
mkdir -p "$RUN_DIR"
rm -f "$RUN_DIR"/*.json "$RUN_DIR"/*.png
started=$(date +%s)

# ---- the HTTP ceiling -----------------------------------------------------------------------
if ! command -v wrk >/dev/null 2>&1; then
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "== installing wrk"
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends wrk) \
      >/dev/null 2>&1 || echo "run-standard: could not install wrk; skipping the ceiling"
  else
    echo "run-standard: wrk is not installed and this is not root: skipping the ceiling"
  fi
fi

ceiling_args=()
if command -v wrk >/dev/null 2>&1; then
  echo "== HTTP ceiling: wrk on /healthz"
  tmp=$(mktemp -d)
  "$BATON" serve --listen 127.0.0.1:0 --data "$tmp/data" >"$tmp/log" 2>&1 &
  server=$!
  port=""
  for _ in $(seq 1 500); do
    port=$(sed -n 's/^baton listening on 127.0.0.1:\([0-9]*\)$/\1/p' "$tmp/log")
    [ -n "$port" ] && break
    sleep 0.02
  done
  if [ -n "$port" ]; then
    cmd="wrk -t2 -c$CONNECTIONS -d${DURATION} --latency http://127.0.0.1:PORT/healthz"
    rps=()
    lat=""
    for i in $(seq 1 "$RUNS"); do
      out=$(wrk -t2 -c"$CONNECTIONS" -d"$DURATION" --latency "http://127.0.0.1:$port/healthz")
      r=$(echo "$out" | awk '/^Requests\/sec:/ {print $2}')
      p50=$(echo "$out" | awk '$1 == "50%" {print $2}')
      p99=$(echo "$out" | awk '$1 == "99%" {print $2}')
      echo "   run $i: $r requests/s, p50 $p50, p99 $p99"
      rps+=("$r")
      lat="p50 $p50 / p99 $p99 (last run)"
    done
    median=$(printf '%s\n' "${rps[@]}" | sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}')
    echo "   median $median requests/s"
    ceiling_args=(--ceiling-rps "$median" --ceiling-latency "$lat" --ceiling-command "$cmd")
  else
    echo "run-standard: the ceiling server did not start:"; cat "$tmp/log"
  fi
  kill "$server" 2>/dev/null || true
  wait "$server" 2>/dev/null || true
  rm -rf "$tmp"
fi

# ---- scenarios -------------------------------------------------------------------------------
common=(--server-binary "$BATON" --connections "$CONNECTIONS" --duration "$DURATION" --warmup "$WARMUP")

bench() {  # bench NAME RUN ARGS...
  local name=$1 run=$2
  shift 2
  echo "== $name, run $run"
  "$BENCH" "${common[@]}" --json "$RUN_DIR/$name-$run.json" "$@"
}

bench disk 1 --scenario disk --duration 3s
bench healthz 1 --scenario healthz
for run in $(seq 1 "$RUNS"); do
  # The plot needs gnuplot; without it the run is measured all the same.
  plot=()
  if command -v gnuplot >/dev/null 2>&1; then plot=(--plot "$RUN_DIR/start-$run.png"); fi
  bench start "$run" --scenario start "${plot[@]}"
  bench start-complete "$run" --scenario start-complete
  bench status "$run" --scenario status --populate "$STATUS_N"
done
bench jobs 1 --scenario jobs
bench start-wait 1 --scenario start-wait
bench scope-hot 1 --scenario scope-hot
bench scope-many 1 --scenario scope-many --scopes 10000
bench start-async 1 --scenario start --storage-mode async --label "async WAL"
bench cron 1 --scenario cron --populate "$CRON_N"
bench recovery 1 --scenario recovery --populate "$STATE_N"
bench memory 1 --scenario memory --populate "$STATE_N"

# ---- the summary -----------------------------------------------------------------------------
elapsed=$(( $(date +%s) - started ))
commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
cpu=$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)
"$BENCH" summarize "$RUN_DIR"/*.json --out "$OUT/latest.md" "${ceiling_args[@]}" \
  --context "$(date -u +%Y-%m-%dT%H:%MZ), commit $commit, $(nproc) cores ($cpu), $(uname -r)" \
  --context "bench/run-standard.sh with RUNS=$RUNS DURATION=$DURATION WARMUP=$WARMUP CONNECTIONS=$CONNECTIONS STATUS_N=$STATUS_N CRON_N=$CRON_N STATE_N=$STATE_N; took ${elapsed}s" \
  --context "per-run JSON: \`$RUN_DIR/\`; plots of the start runs: \`$RUN_DIR/start-*.png\`"
echo "== wrote $OUT/latest.md (${elapsed}s)"
cat "$OUT/latest.md"
