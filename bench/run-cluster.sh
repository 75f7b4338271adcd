#!/usr/bin/env bash
# Durable starts against a cluster (issue 16's measure): one node without etcd, one node with
# one etcd member, three nodes with three etcd members, all on this machine, each with the
# healthz ceiling of the same run; and the takeover time after kill -9 of a node.
# Prints a table; the JSON files go to $OUT. Builds nothing (make bench builds the binaries).
#   BUILD=build RUNS=3 DURATION=5s WARMUP=1s CONNECTIONS=64 OUT=bench/results/cluster
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
RUNS=${RUNS:-3}
DURATION=${DURATION:-5s}
WARMUP=${WARMUP:-1s}
CONNECTIONS=${CONNECTIONS:-64}
OUT=${OUT:-bench/results/cluster}
BENCH=$BUILD/baton-bench
CLUSTER_DIR=$(mktemp -d /tmp/baton-cluster-bench.XXXXXX)
export DIR=$CLUSTER_DIR BATON=$BUILD/baton DEFINITIONS=bench/definitions API_PORT=${API_PORT:-18181}
export ETCD_PORT=${ETCD_PORT:-33890}
mkdir -p "$OUT"
trap 'examples/cluster/cluster.sh stop >/dev/null 2>&1 || true; rm -rf "$CLUSTER_DIR"' EXIT

value() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(d['$1'] if '$1' != 'p99' else d['latency_ms']['p99'])" "$2"; }
median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

# One run of `scenario` against every node of a cluster started with $1 etcd members and $2
# nodes: one baton-bench per node, the connections shared; prints "throughput p99max".
cluster_run() {
  local members=$1 nodes=$2 scenario=$3 run=$4
  ETCD_MEMBERS=$members NODES=$nodes examples/cluster/cluster.sh start >/dev/null
  local pids=() per=$((CONNECTIONS / nodes))
  for i in $(seq 0 $((nodes - 1))); do
    "$BENCH" -s "$scenario" --url "127.0.0.1:$((API_PORT + i))" -c "$per" -d "$DURATION" \
      -w "$WARMUP" -q --json "$OUT/$scenario-$members-$nodes-$run-$i.json" >/dev/null &
    pids+=($!)
  done
  for p in "${pids[@]}"; do wait "$p"; done
  examples/cluster/cluster.sh stop
  rm -rf "${CLUSTER_DIR:?}"/*  # the next cluster forms afresh
  local sum=0 p99=0
  for i in $(seq 0 $((nodes - 1))); do
    local f=$OUT/$scenario-$members-$nodes-$run-$i.json
    sum=$(python3 -c "print($sum + $(value throughput "$f"))")
    p99=$(python3 -c "print(max($p99, $(value p99 "$f")))")
  done
  echo "$sum $p99"
}

single=() ceiling=() one=() three=() one_p99=() three_p99=() single_p99=()
for run in $(seq "$RUNS"); do
  "$BENCH" -s healthz --server-binary "$BUILD/baton" -d "$DURATION" -w "$WARMUP" -q \
    --json "$OUT/healthz-$run.json" >/dev/null
  ceiling+=("$(value throughput "$OUT/healthz-$run.json")")
  "$BENCH" -s start --server-binary "$BUILD/baton" -d "$DURATION" -w "$WARMUP" -q \
    -c "$CONNECTIONS" --json "$OUT/start-single-$run.json" >/dev/null
  single+=("$(value throughput "$OUT/start-single-$run.json")")
  single_p99+=("$(value p99 "$OUT/start-single-$run.json")")
  read -r t p <<<"$(cluster_run 1 1 start "$run")"; one+=("$t"); one_p99+=("$p")
  read -r t p <<<"$(cluster_run 3 3 start "$run")"; three+=("$t"); three_p99+=("$p")
done

# Takeover: kill -9 a node of three, time until another node shows all partitions owned.
takeovers=()
for run in $(seq "$RUNS"); do
  ETCD_MEMBERS=1 NODES=3 examples/cluster/cluster.sh start >/dev/null
  victim=$(sed -n 2p "$CLUSTER_DIR/pids")  # the first node (after the one etcd member)
  started=$(date +%s%N)
  kill -9 "$victim"
  until curl -fsS "127.0.0.1:$((API_PORT + 1))/api/v1/cluster" | python3 -c "
import json, sys
d = json.load(sys.stdin)
sys.exit(0 if all(p['owner'] in ('node-b', 'node-c') for p in d['partitions']) else 1)"; do
    sleep 0.05
  done
  takeovers+=("$(( ($(date +%s%N) - started) / 1000000 ))")
  examples/cluster/cluster.sh stop
  rm -rf "${CLUSTER_DIR:?}"/*
done

m() { printf '%s\n' "$@" | median; }
c=$(m "${ceiling[@]}")
ratio() { python3 -c "print(f'{$1 / $c:.3f}')"; }
echo "durable starts/s, medians of $RUNS (${DURATION} each, $CONNECTIONS connections); healthz ceiling $c/s"
echo "| setup | starts/s | ratio to ceiling | p99 ms |"
echo "|---|---|---|---|"
echo "| 1 node, no etcd | $(m "${single[@]}") | $(ratio "$(m "${single[@]}")") | $(m "${single_p99[@]}") |"
echo "| 1 node, 1 etcd member | $(m "${one[@]}") | $(ratio "$(m "${one[@]}")") | $(m "${one_p99[@]}") |"
echo "| 3 nodes, 3 etcd members | $(m "${three[@]}") | $(ratio "$(m "${three[@]}")") | $(m "${three_p99[@]}") |"
echo "takeover after kill -9 (lease ${LEASE_MS:-5000} ms), median of $RUNS: $(m "${takeovers[@]}") ms (${takeovers[*]})"
