#!/usr/bin/env bash
# Bytes per cached JWT (the memory budget issue): a release gateway with a JWT cache of 2×COUNT,
# then COUNT distinct HS256 tokens (portcullis loadtest --jwt-unique, each sent once) so that each
# is verified and cached; RSS growth over the gateway's RSS after a warm-up of the same shape, and
# the gateway's own estimate (portcullis_cache_bytes) beside it. KIND=introspection does the same
# for the introspection cache: the tokens are introspected at an endpoint that calls every one
# active (nginx with one fixed answer, a benchmark stand-in for an authorization server).
#
#   bash Benchmarks/e2e/cache-memory.sh            # COUNT=100000
#   KIND=introspection bash Benchmarks/e2e/cache-memory.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)
COUNT=${COUNT:-100000}
KIND=${KIND:-jwt}
THREADS=1; CONNECTIONS=1; DURATION=1s
source "$root/Benchmarks/e2e/lib.sh"
prepare curl=curl nginx=nginx-light
GATEWAY=18190; METRICS=18191; IDP=18192
case "$KIND" in
jwt)
    entry="jwtValidatorConfig = { issuer = \"bench\", signatureConfig = { secret = \"a-shared-secret-of-at-least-32-bytes!\" }, cacheConfig = { capacity = $((COUNT * 2)) } }" ;;
introspection)
    # An endpoint calling every token active (scope "read write", an hour to live): nginx
    # answering one fixed body, so that 100,000 introspections take seconds.
    mkdir -p "$work/idp"
    cat > "$work/idp/nginx.conf" <<NGINX
daemon off;
worker_processes 1;
pid $work/idp/nginx.pid;
error_log $work/idp/error.log warn;
events { worker_connections 1024; }
http { access_log off; keepalive_requests 1000000;
    server { listen 127.0.0.1:$IDP; location / { default_type application/json;
        return 200 '{"active": true, "scope": "read write", "sub": "loadtest", "exp": $(( $(date +%s) + 3600 ))}'; } } }
NGINX
    nginx -c "$work/idp/nginx.conf" -p "$work/idp" & pids+=($!)
    entry="oauth2IntrospectionConfig = { url = \"http://127.0.0.1:$IDP/introspect\", clientConfig = { auth = { username = \"gateway\", password = \"secret\" } }, cacheConfig = { capacity = $((COUNT * 2)) } }" ;;
*) echo "error: KIND is jwt or introspection" >&2; exit 2 ;;
esac
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
  $entry
  [[service.resource]]
  path = "/"
  respond = { status = 200, body = "ok" }
TOML
"$gateway_bin" serve --config "$work/gateway.toml" --log-level error & gateway=$!; pids+=($gateway)
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
entries=$(curl -s "http://127.0.0.1:$METRICS/metrics" | awk -v kind="$KIND" '$1 == "portcullis_cache_entries{cache=\"" kind "\"}" {print $2}')
estimate=$(curl -s "http://127.0.0.1:$METRICS/metrics" | awk -v kind="$KIND" '$1 == "portcullis_cache_bytes{cache=\"" kind "\"}" {print $2}')
token=$("$gateway_bin" token --key "$work/secret" --alg HS256 --iss bench --sub loadtest --scope "read write" --jti loadtest-abcdef-99999 | tr -d '\n' | wc -c)
python3 - "$before" "$after" "$COUNT" "$entries" "${estimate:-}" "$token" "$KIND" <<'PY'
import sys
before, after, count, entries = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4] or 0)
estimate = sys.argv[5]
token = int(sys.argv[6])
kind = sys.argv[7]
growth = (after - before) * 1024
print(f"{kind} cache: {int(entries)} entries (tokens of ~{token} bytes); RSS {before / 1024:.1f} -> {after / 1024:.1f} MiB: +{growth / 2**20:.1f} MiB, {growth / count:.0f} bytes per entry")
if estimate:
    print(f"portcullis_cache_bytes estimate: {float(estimate) / 2**20:.1f} MiB, {float(estimate) / max(entries, 1):.0f} bytes per entry")
print("target (memory budget issue): 100,000 cached tokens <= 32 MiB of RSS growth (<= 330 bytes per entry)")
PY
