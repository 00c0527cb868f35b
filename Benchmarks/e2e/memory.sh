#!/usr/bin/env bash
# Memory of the gateway on loopback (release build), the lean request path issue's two targets:
#   - 10,000 idle keep-alive connections (each has had one request answered): RSS growth, and RSS
#     once they are closed again (the memory budget issue's "memory given back");
#   - 1 GiB streamed through the gateway each way with a slow peer on the far side: the peak RSS
#     growth, bounded by backpressure (reads are held while the partner cannot take more).
#
#   bash Benchmarks/e2e/memory.sh                   # COUNT=10000 SIZE=1073741824
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)
COUNT=${COUNT:-10000}
SIZE=${SIZE:-1073741824}
THREADS=1; CONNECTIONS=1; DURATION=1s
source "$root/Benchmarks/e2e/lib.sh"
prepare python3=python3 curl=curl

GATEWAY=18190; UPSTREAM=18191; SINK=18192
# The gateway and the client each hold COUNT sockets.
ulimit -n $((COUNT + 1024)) 2>/dev/null || { echo "error: cannot raise the open-file limit to $((COUNT + 1024))" >&2; exit 1; }
python3 "$root/Benchmarks/e2e/memory.py" upstream "$UPSTREAM" "$SIZE" & pids+=($!)
python3 "$root/Benchmarks/e2e/memory.py" sink "$SINK" & pids+=($!)
cat > "$work/gateway.toml" <<TOML
[listener]
port = $GATEWAY
idleTimeoutSeconds = 600
[[service]]
name = "hello"
basePath = "/hello"
  [[service.resource]]
  path = "/"
  respond = { status = 200, body = "Hello, World!" }
[[service]]
name = "download"
basePath = "/download"
upstream = "http://127.0.0.1:$UPSTREAM"
upstreamClient = { timeoutSeconds = 600 }
[[service]]
name = "upload"
basePath = "/upload"
upstream = "http://127.0.0.1:$SINK"
upstreamClient = { timeoutSeconds = 600 }
TOML
"$gateway_bin" serve --config "$work/gateway.toml" --log-level warning & gateway=$!; pids+=($gateway)
for _ in $(seq 1 100); do curl -s -o /dev/null "http://127.0.0.1:$GATEWAY/hello/" && break; sleep 0.1; done
curl -s -o /dev/null "http://127.0.0.1:$GATEWAY/hello/"

echo "==> gateway pid $gateway, $(nproc) cores"
# Streaming first: memory the idle connections freed would hide growth otherwise.
python3 "$root/Benchmarks/e2e/memory.py" download "$gateway" "$GATEWAY" /download/big
python3 "$root/Benchmarks/e2e/memory.py" upload "$gateway" "$GATEWAY" /upload/big "$SIZE"
python3 "$root/Benchmarks/e2e/memory.py" idle "$gateway" "$GATEWAY" "$COUNT"
echo "targets (lean request path issue): 10,000 idle connections <= 64 MiB; 1 GiB either way with a slow peer <= 32 MiB"
