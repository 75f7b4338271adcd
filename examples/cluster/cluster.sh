#!/usr/bin/env bash
# Starts a Baton cluster on this machine, for trying it out: etcd members and Baton nodes on
# 127.0.0.1, each with a folder of its own under DIR. Stop it with `cluster.sh stop`.
#
#   examples/cluster/cluster.sh start [ETCD_MEMBERS=3] [NODES=3]   (environment knobs below)
#   examples/cluster/cluster.sh stop
#
# Knobs: DIR=/tmp/baton-cluster  BATON=build/baton  ETCD=/usr/bin/etcd
#        ETCD_MEMBERS=3 NODES=3  API_PORT=8081 (node i listens on API_PORT+i)
#        ETCD_PORT=23790 (member i: client ETCD_PORT+i, peer ETCD_PORT+100+i)
#        DEFINITIONS=examples/definitions  LEASE_MS=5000
# Nodes run with auth.required = false: a demo, not a deployment.
set -euo pipefail
cd "$(dirname "$0")/../.."
DIR=${DIR:-/tmp/baton-cluster}
BATON=${BATON:-build/baton}
ETCD=${ETCD:-/usr/bin/etcd}
ETCD_MEMBERS=${ETCD_MEMBERS:-3}
NODES=${NODES:-3}
API_PORT=${API_PORT:-8081}
ETCD_PORT=${ETCD_PORT:-23790}
DEFINITIONS=${DEFINITIONS:-examples/definitions}
LEASE_MS=${LEASE_MS:-5000}

stop() {
  [ -f "$DIR/pids" ] || return 0
  # Nodes first (they leave the cluster cleanly on SIGTERM), then etcd.
  tac "$DIR/pids" | while read -r pid; do kill "$pid" 2>/dev/null || true; done
  tac "$DIR/pids" | while read -r pid; do
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  done
  rm -f "$DIR/pids"
}

wait_for() {  # URL, what
  for _ in $(seq 300); do
    curl -fsS "$1" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  echo "cluster.sh: $2 did not come up; see $DIR" >&2
  return 1
}

start() {
  [ -x "$BATON" ] || { echo "cluster.sh: $BATON is missing (make build)" >&2; exit 2; }
  [ -x "$ETCD" ] || { echo "cluster.sh: $ETCD is missing (apt-get install etcd-server)" >&2; exit 2; }
  stop
  mkdir -p "$DIR"
  local initial="" endpoints=""
  for i in $(seq 0 $((ETCD_MEMBERS - 1))); do
    initial+="${initial:+,}e$i=http://127.0.0.1:$((ETCD_PORT + 100 + i))"
    endpoints+="${endpoints:+,}http://127.0.0.1:$((ETCD_PORT + i))"
  done
  for i in $(seq 0 $((ETCD_MEMBERS - 1))); do
    "$ETCD" --name "e$i" --data-dir "$DIR/etcd-$i" \
      --listen-client-urls "http://127.0.0.1:$((ETCD_PORT + i))" \
      --advertise-client-urls "http://127.0.0.1:$((ETCD_PORT + i))" \
      --listen-peer-urls "http://127.0.0.1:$((ETCD_PORT + 100 + i))" \
      --initial-advertise-peer-urls "http://127.0.0.1:$((ETCD_PORT + 100 + i))" \
      --initial-cluster "$initial" --initial-cluster-state new \
      >"$DIR/etcd-$i.log" 2>&1 &
    echo $! >>"$DIR/pids"
  done
  for i in $(seq 0 $((ETCD_MEMBERS - 1))); do
    wait_for "http://127.0.0.1:$((ETCD_PORT + i))/health" "etcd member e$i"
  done
  for i in $(seq 0 $((NODES - 1))); do
    local name port
    name=node-$(echo abcdefghijklmnopqrstuvwxyz | cut -c$((i + 1)))
    port=$((API_PORT + i))
    BATON_AUTH__REQUIRED=false BATON_CLUSTER__LEASE_MS=$LEASE_MS \
      "$BATON" serve --listen "127.0.0.1:$port" --data "$DIR/$name" --node "$name" \
      --etcd "$endpoints" --definitions "$DEFINITIONS" >"$DIR/$name.log" 2>&1 &
    echo $! >>"$DIR/pids"
    wait_for "http://127.0.0.1:$port/readyz" "$name"
    echo "$name: http://127.0.0.1:$port (log $DIR/$name.log)"
  done
  echo "etcd: $endpoints"
  echo "see the cluster: curl -s http://127.0.0.1:$API_PORT/api/v1/cluster"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  *) echo "usage: $0 start|stop" >&2; exit 1 ;;
esac
