#!/usr/bin/env bash
# Soak (issue 19): mixed traffic against a release gateway with small, bounded caches for
# SOAK_SECONDS (default 600), sampling its RSS, open file descriptors and threads every 10 s.
# Passes when all three are flat after warm-up (the first 2 minutes): the mean of the last minute
# at most 5% over the mean of the minute after warm-up; and when the load tester saw nothing but
# the expected statuses.
#
#   bash Benchmarks/soak/run.sh
#   SOAK_SECONDS=120 RATE=500 bash Benchmarks/soak/run.sh     # a short look
#
# Traffic, all on one path whose service tries Basic, then JWT, then introspection:
#   - `portcullis loadtest` at RATE req/s: valid Basic (cached bcrypt), JWT cache hits and misses
#     (JWT_UNIQUE distinct tokens against a JWT cache of 2,000: evictions all along), introspected
#     opaque tokens (a real authorization server, the tests' django-oauth-toolkit), and 401 floods
#     (garbage tokens, bad signatures, expired tokens, unknown users);
#   - SLOW slow clients that send their request head a byte a second until the gateway's 408.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)
SOAK_SECONDS=${SOAK_SECONDS:-600}
RATE=${RATE:-1000}
JWT_UNIQUE=${JWT_UNIQUE:-20000}
SLOW=${SLOW:-50}
GATEWAY=18190; METRICS=18191; IDP=18195
THREADS=1; CONNECTIONS=32; DURATION=1s   # for lib.sh

source "$root/Benchmarks/e2e/lib.sh"
prepare curl=curl openssl=openssl
oauth2_server "$IDP"

# bcrypt at cost 6: an unknown user's 401 runs a dummy check at the store's cost (equal-time
# failures), and the flood of them must not take the machine from the rest of the traffic.
alice=$(printf 'alice123' | "$gateway_bin" hash-password --algorithm bcrypt --cost 6)
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$work/jwt.key" 2>/dev/null
openssl pkey -in "$work/jwt.key" -pubout -out "$work/jwt.pub"
cat > "$work/gateway.toml" <<TOML
[listener]
port = $GATEWAY
requestHeaderTimeoutSeconds = 5
[metrics]
port = $METRICS
[[ballerina.auth.users]]
username = "alice"
password = "$alice"
scopes = ["hello"]
[[service]]
name = "soak"
basePath = "/soak"
  [[service.auth]]
  fileUserStoreConfig = {}
  scopes = ["hello"]
  [[service.auth]]
  scopes = ["hello"]
  jwtValidatorConfig = { issuer = "soak", signatureConfig = { certFile = "$work/jwt.pub" }, cacheConfig = { capacity = 2000 } }
  [[service.auth]]
  scopes = ["hello"]
  oauth2IntrospectionConfig = { url = "http://127.0.0.1:$IDP/o/introspect/", clientConfig = { auth = { username = "resource-server", password = "resource-secret" } } }
  [[service.resource]]
  path = "/"
  respond = { status = 200, body = "soaked" }
TOML
cat > "$work/grant.toml" <<TOML
tokenUrl = "http://127.0.0.1:$IDP/o/token/"
clientId = "gateway"
clientSecret = "gateway-secret"
scopes = ["hello"]
TOML

"$gateway_bin" serve --config "$work/gateway.toml" > "$work/gateway.log" 2>&1 &
gateway_pid=$!
pids+=($gateway_pid)
for _ in $(seq 1 100); do curl -s -o /dev/null "http://127.0.0.1:$GATEWAY/soak/" && break; sleep 0.1; done
for _ in $(seq 1 100); do grep -q "listening\|Starting" "$work/oauth2.out" 2>/dev/null && break; sleep 0.1; done

# Slow clients: a head a byte a second, again when the gateway gives up on it (408 or close).
python3 - "$GATEWAY" "$SLOW" "$SOAK_SECONDS" > "$work/slow.out" 2>&1 <<'PY' &
import socket, sys, threading, time
port, count, seconds = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
end = time.time() + seconds
closed = [0]
def client():
    head = b"GET /soak/ HTTP/1.1\r\nHost: soak\r\nX-Slow: " + b"a" * 4096
    while time.time() < end:
        try:
            s = socket.create_connection(("127.0.0.1", port))
            for byte in head:
                if time.time() >= end: break
                s.send(bytes([byte]))
                time.sleep(1)
        except OSError:
            closed[0] += 1
        finally:
            s.close()
threads = [threading.Thread(target=client, daemon=True) for _ in range(count)]
for t in threads: t.start()
for t in threads: t.join()
print(f"slow clients: {count}, connections the gateway ended: {closed[0]}")
PY
pids+=($!)

"$gateway_bin" loadtest "http://127.0.0.1:$GATEWAY/soak/" --rate "$RATE" --duration "${SOAK_SECONDS}s" --connections 32 --threads 1 --timeout 30s \
    --basic alice:alice123 --jwt-key "$work/jwt.key" --jwt-claim 'iss="soak"' --jwt-claim 'scope="hello"' --jwt-unique "$JWT_UNIQUE" --oauth2-config "$work/grant.toml" \
    --invalid garbage --invalid bad-signature --invalid expired --invalid unknown-user --mix basic=30,jwt=40,oauth2=20,invalid=10 \
    --metrics "http://127.0.0.1:$METRICS/metrics" --json "$work/soak.json" --quiet > "$work/loadtest.out" 2>&1 &
load_pid=$!

echo "==> soak: $SOAK_SECONDS s at $RATE req/s, $SLOW slow clients; samples every 10 s"
printf '| %6s | %9s | %5s | %7s |\n' "t (s)" "RSS (MiB)" "fds" threads
samples="$work/samples.txt"
: > "$samples"
for t in $(seq 10 10 "$SOAK_SECONDS"); do
    sleep 10
    kill -0 "$gateway_pid" 2>/dev/null || { echo "error: the gateway exited: $(tail -5 "$work/gateway.log")" >&2; exit 1; }
    rss=$(awk '/VmRSS/ {printf "%.1f", $2 / 1024}' "/proc/$gateway_pid/status")
    fds=$(ls "/proc/$gateway_pid/fd" | wc -l)
    threads=$(awk '/Threads/ {print $2}' "/proc/$gateway_pid/status")
    echo "$t $rss $fds $threads" >> "$samples"
    printf '| %6s | %9s | %5s | %7s |\n' "$t" "$rss" "$fds" "$threads"
done
status=0
wait "$load_pid" || status=$?
cat "$work/loadtest.out"
cat "$work/slow.out" 2>/dev/null || true
python3 - "$samples" "$SOAK_SECONDS" "$status" <<'PY'
import sys
rows = [list(map(float, line.split())) for line in open(sys.argv[1])]
seconds, load_status = float(sys.argv[2]), int(sys.argv[3])
# After warm-up (the first 2 minutes, or a fifth of a shorter run): the mean of the first minute
# against the mean of the last one, so that the slow clients' reconnections (a band of
# descriptors) do not read as growth.
start = min(120.0, seconds / 5)
window = min(60.0, (seconds - start) / 2)
first = [row for row in rows if start <= row[0] < start + window]
last = [row for row in rows if row[0] > seconds - window]
ok = load_status == 0
for index, name in ((1, "RSS MiB"), (2, "fds"), (3, "threads")):
    before = sum(row[index] for row in first) / len(first)
    after = sum(row[index] for row in last) / len(last)
    growth = (after - before) / before * 100
    flat = growth <= 5
    ok = ok and flat
    print(f"{name}: mean {before:.1f} over {first[0][0]:g}-{first[-1][0]:g} s, {after:.1f} over {last[0][0]:g}-{last[-1][0]:g} s: {growth:+.1f}% ({'flat' if flat else 'GROWING'})")
print("load tester: " + ("only the expected statuses" if load_status == 0 else f"exit {load_status} (statuses other than expected, or a failure)"))
print("soak: " + ("PASS" if ok else "FAIL"))
sys.exit(0 if ok else 1)
PY
