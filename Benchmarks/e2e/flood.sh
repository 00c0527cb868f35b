#!/usr/bin/env bash
# A flood of JWTs with bad signatures against good traffic on the same gateway (the Ballerina
# parity issue, §6): a release gateway proxying /jwt/ (RS256 from a PEM public key) to an nginx
# backend; `portcullis loadtest` sends the good traffic (one valid token: cache hits) and the flood
# (one token with its signature altered: never cached, so every request is a signature check).
# Each round runs the good traffic alone, the flood alone, then both at once, each loader with one
# thread and CONNECTIONS connections; medians over ROUNDS rounds:
#   - the good traffic's throughput and p99 with and without the flood;
#   - the flood's own rate, alone and beside the good traffic (target: >= 5x Apache mod_oauth2's
#     bad-signature figure measured here, 3.8k/s, i.e. >= 19k/s).
#
#   bash Benchmarks/e2e/flood.sh                       # 5 s runs, 32 connections each, 3 rounds
#   DURATION=10s CONNECTIONS=64 ROUNDS=5 bash Benchmarks/e2e/flood.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)
DURATION=${DURATION:-5s}
CONNECTIONS=${CONNECTIONS:-32}
ROUNDS=${ROUNDS:-3}
THREADS=1
WORKERS=${WORKERS:-$(nproc)}
source "$root/Benchmarks/e2e/lib.sh"
prepare nginx=nginx-light openssl=openssl curl=curl python3=python3
BACKEND=18280; GATEWAY=18290

backend_nginx "$BACKEND"
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$work/jwt.key" 2>/dev/null
openssl pkey -in "$work/jwt.key" -pubout -out "$work/jwt.pub"
cat > "$work/gateway.toml" <<TOML
[listener]
port = $GATEWAY
[[service]]
name = "jwt"
basePath = "/jwt"
upstream = "http://127.0.0.1:$BACKEND"
  [[service.auth]]
  scopes = ["hello"]
  jwtValidatorConfig = { issuer = "bench", signatureConfig = { certFile = "$work/jwt.pub" } }
TOML
"$gateway_bin" serve --config "$work/gateway.toml" --log-level warning & pids+=($!)
url="http://127.0.0.1:$GATEWAY/jwt/"
for _ in $(seq 1 100); do curl -s -o /dev/null "$url" && break; sleep 0.1; done
good=$("$gateway_bin" token --key "$work/jwt.key" --alg RS256 --iss bench --sub good --scope hello | tr -d '\n')
# The first character of the signature changed: still a well-formed RS256 token, never valid.
bad=$(python3 -c 'import sys; t = sys.argv[1]; i = t.rindex(".") + 1; print(t[:i] + ("B" if t[i] == "A" else "A") + t[i + 1:])' "$good")
expect 200 "$url" "Authorization: Bearer $good"
expect 401 "$url" "Authorization: Bearer $bad"

load() {  # load NAME TOKEN EXPECTED: one loader, its report in $work/NAME.json
    "$gateway_bin" loadtest "$url" --connections "$CONNECTIONS" --threads 1 --duration "$DURATION" --quiet \
        --bearer "$2" --expect "bearer=$3" --json "$work/$1.json" > "$work/$1.out" 2>&1 \
        || { echo "error: the $1 load failed:"; cat "$work/$1.out"; exit 1; }
}
figures() {  # figures NAME -> "rate p99_ms"
    python3 -c 'import json, sys; r = json.load(open(sys.argv[1])); c = r["classes"]["bearer"]; print(round(c["count"] / r["duration_seconds"]), round(c["latency_ms"]["p99"], 2))' "$work/$1.json"
}
echo "==> $(nproc) cores; loaders: 1 thread, $CONNECTIONS connections, $DURATION each; $ROUNDS rounds"
printf '| round | good alone r/s | p99 ms | good w/ flood r/s | p99 ms | flood alone r/s | flood w/ good r/s |\n'
rows=()
for round in $(seq 1 "$ROUNDS"); do
    load good "$good" 200; read -r good_rate good_p99 <<<"$(figures good)"
    load flood "$bad" 401; read -r flood_rate _ <<<"$(figures flood)"
    load flood-both "$bad" 401 & flood_pid=$!
    load good-both "$good" 200
    wait "$flood_pid"
    read -r both_rate both_p99 <<<"$(figures good-both)"
    read -r flood_both_rate _ <<<"$(figures flood-both)"
    printf '| %5s | %14s | %6s | %17s | %6s | %15s | %17s |\n' "$round" "$good_rate" "$good_p99" "$both_rate" "$both_p99" "$flood_rate" "$flood_both_rate"
    rows+=("$good_rate $good_p99 $both_rate $both_p99 $flood_rate $flood_both_rate")
done
printf '%s\n' "${rows[@]}" | python3 -c '
import statistics, sys
rows = [list(map(float, line.split())) for line in sys.stdin if line.strip()]
median = lambda i: statistics.median(r[i] for r in rows)
print(f"medians: good alone {median(0):.0f} r/s (p99 {median(1):.2f} ms); good beside the flood {median(2):.0f} r/s (p99 {median(3):.2f} ms), {median(2) / median(0):.2f}x")
print(f"flood alone {median(4):.0f} r/s, beside the good traffic {median(5):.0f} r/s; target >= 19000 (5x Apache mod_oauth2 3.8k/s): {median(4) / 3800:.1f}x Apache")
'
