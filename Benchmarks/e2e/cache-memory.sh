#!/usr/bin/env bash
# Bytes per cached JWT (the memory budget issue): a release gateway with a JWT cache of 2×COUNT,
# then COUNT distinct HS256 tokens (portcullis loadtest --jwt-unique, each sent once) so that each
# is verified and cached; RSS growth over the gateway's RSS after a warm-up of the same shape, and
# the gateway's own estimate (portcullis_cache_bytes) beside it.
#
#   bash Benchmarks/e2e/cache-memory.sh            # COUNT=100000
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)
COUNT=${COUNT:-100000}
THREADS=1; CONNECTIONS=1; DURATION=1s
source "$root/Benchmarks/e2e/lib.sh"
prepare curl=curl
GATEWAY=18190; METRICS=18191
printf 'a-shared-secret-of-at-least-32-bytes!' > "$work/secret"
cat > "$work/gateway.toml" <<TOML
[listener]
port = $GATEWAY
[metrics]
port = $METRICS
[[service]]
name = "jwt"
basePath = "/jwt"
  [[service.auth]]
  jwtValidatorConfig = { issuer = "bench", signatureConfig = { secret = "$(cat "$work/secret")" }, cacheConfig = { capacity = $((COUNT * 2)) } }
  [[service.resource]]
  path = "/"
  respond = { status = 200, body = "ok" }
TOML
"$gateway_bin" serve --config "$work/gateway.toml" --log-level warning & gateway=$!; pids+=($gateway)
for _ in $(seq 1 100); do curl -s -o /dev/null "http://127.0.0.1:$GATEWAY/jwt/" && break; sleep 0.1; done
rss() { awk '/VmRSS/ {print $2}' "/proc/$gateway/status"; }
load() {  # load N: N distinct tokens, each sent once
    "$gateway_bin" loadtest "http://127.0.0.1:$GATEWAY/jwt/" --connections 16 --threads 1 --requests "$1" --duration 10m --quiet \
        --jwt-key "$work/secret" --jwt-alg HS256 --jwt-claim 'iss="bench"' --jwt-claim 'scope="read write"' --jwt-unique "$1" > "$work/load.out" 2>&1 \
        || { cat "$work/load.out"; exit 1; }
}
# Warm-up: every allocator arena and pool in use once, 1,000 entries in the cache.
load 1000
sleep 2
before=$(rss)
load "$COUNT"
sleep 2
after=$(rss)
entries=$(curl -s "http://127.0.0.1:$METRICS/metrics" | awk '/^portcullis_cache_entries\{cache="jwt"\}/ {print $2}')
estimate=$(curl -s "http://127.0.0.1:$METRICS/metrics" | awk '/^portcullis_cache_bytes\{cache="jwt"\}/ {print $2}')
token=$("$gateway_bin" token --key "$work/secret" --alg HS256 --iss bench --sub loadtest --scope "read write" --jti loadtest-abcdef-99999 | tr -d '\n' | wc -c)
python3 - "$before" "$after" "$COUNT" "$entries" "${estimate:-}" "$token" <<'PY'
import sys
before, after, count, entries = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4] or 0)
estimate = sys.argv[5]
token = int(sys.argv[6])
growth = (after - before) * 1024
print(f"JWT cache: {int(entries)} entries (tokens of ~{token} bytes); RSS {before / 1024:.1f} -> {after / 1024:.1f} MiB: +{growth / 2**20:.1f} MiB, {growth / count:.0f} bytes per entry")
if estimate:
    print(f"portcullis_cache_bytes estimate: {float(estimate) / 2**20:.1f} MiB, {float(estimate) / max(entries, 1):.0f} bytes per entry")
print("target (memory budget issue): 100,000 cached JWTs <= 32 MiB of RSS growth (<= 330 bytes per entry)")
PY
