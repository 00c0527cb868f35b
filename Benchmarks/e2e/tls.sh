#!/usr/bin/env bash
# End-to-end TLS comparison on loopback: the gateway's HTTPS listener against nginx with `ssl` on,
# the same ECDSA P-256 certificate, same machine, same run. Prints req/s, p50, p99 and the ratio.
#
#   bash Benchmarks/e2e/tls.sh                 # 5 s per run, 64 connections, 1 wrk thread
#   DURATION=10s CONNECTIONS=128 bash Benchmarks/e2e/tls.sh
#
# Scenarios (gateway vs nginx, both over TLS 1.3):
#   keep-alive, answer here   /hello/  vs  nginx return 200
#   keep-alive, proxy         /open/   vs  nginx proxy_pass (plain HTTP backend)
#   new handshake per request /hello/  vs  nginx return 200, each with `Connection: close`
#   HTTP/2 answer here        /hello/  vs  nginx return 200 on `ssl http2`, with h2load (STREAMS
#                                          concurrent streams per connection, default 10)
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)
DURATION=${DURATION:-5s}
CONNECTIONS=${CONNECTIONS:-64}
THREADS=${THREADS:-1}
WORKERS=${WORKERS:-$(nproc)}

source "$root/Benchmarks/e2e/lib.sh"
prepare nginx=nginx-light wrk=wrk openssl=openssl h2load=nghttp2-client

BACKEND=18180; NGX_HELLO=18181; NGX_PROXY=18182; NGX_H2=18183; GATEWAY=18190

# One CA and one server certificate, used by both servers.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$work/ca.key" -out "$work/ca.crt" \
    -days 1 -subj "/CN=bench CA" 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$work/server.key" -out "$work/server.csr" \
    -subj "/CN=localhost" 2>/dev/null
printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\n' > "$work/san.ext"
openssl x509 -req -in "$work/server.csr" -CA "$work/ca.crt" -CAkey "$work/ca.key" -CAcreateserial \
    -out "$work/server.crt" -days 1 -extfile "$work/san.ext" 2>/dev/null
chmod 644 "$work"/*.crt "$work"/*.key
mkdir -p "$work/logs"
export CURL_CA="$work/ca.crt"

cat > "$work/nginx.conf" <<NGINX
worker_processes $WORKERS;
pid $work/nginx.pid;
error_log $work/logs/error.log warn;
events { worker_connections 4096; }
http {
    access_log off;
    keepalive_requests 1000000;
    ssl_protocols TLSv1.2 TLSv1.3;
    ssl_certificate $work/server.crt;
    ssl_certificate_key $work/server.key;
    upstream backend { server 127.0.0.1:$BACKEND; keepalive 256; }
    server { listen 127.0.0.1:$NGX_HELLO ssl; location / { default_type text/plain; return 200 "Hello, World!"; } }
    server { listen 127.0.0.1:$NGX_H2 ssl http2; location / { default_type text/plain; return 200 "Hello, World!"; } }
    server {
        listen 127.0.0.1:$NGX_PROXY ssl;
        location / { proxy_pass http://backend; proxy_http_version 1.1; proxy_set_header Connection ""; }
    }
}
NGINX
nginx -c "$work/nginx.conf" -p "$work"
backend_nginx "$BACKEND"

cat > "$work/gateway.toml" <<TOML
[listener]
port = $GATEWAY
[listener.secureSocket]
key = { certFile = "server.crt", keyFile = "server.key" }
[[service]]
name = "open"
basePath = "/open"
upstream = "http://127.0.0.1:$BACKEND"
[[service]]
name = "hello"
basePath = "/hello"
  [[service.resource]]
  path = "/"
  respond = { status = 200, body = "Hello, World!" }
TOML
"$gateway_bin" serve --config "$work/gateway.toml" --log-level warning &
pids+=($!)
for _ in $(seq 1 100); do curl -s --cacert "$CURL_CA" -o /dev/null "https://localhost:$GATEWAY/hello/" && break; sleep 0.1; done

echo "==> $(nproc) cores; wrk -t$THREADS -c$CONNECTIONS -d$DURATION; nginx workers $WORKERS; ECDSA P-256"
header
row "TLS keep-alive, answer" 200 "https://localhost:$GATEWAY/hello/" "https://localhost:$NGX_HELLO/"
row "TLS keep-alive, proxy" 200 "https://localhost:$GATEWAY/open/" "https://localhost:$NGX_PROXY/"
row "TLS handshake per request" 200 "https://localhost:$GATEWAY/hello/" "https://localhost:$NGX_HELLO/" "Connection: close"

# h2rate URL -> req/s of one h2load run (every answer must be 2xx).
h2rate() {
    h2load -c "$CONNECTIONS" -m "${STREAMS:-10}" -t "$THREADS" -D "${DURATION%s}" "$1" > "$work/h2load.out" 2>&1
    if ! grep -q "status codes: [1-9][0-9]* 2xx, 0 3xx, 0 4xx, 0 5xx" "$work/h2load.out"; then
        echo "error: h2load against $1 saw errors or no 2xx: $(grep -E 'requests:|status codes' "$work/h2load.out")" >&2
        exit 1
    fi
    awk '/^finished in/ { print $4 }' "$work/h2load.out"
}

h2row() {  # name gateway-url nginx-url: ROUNDS alternating h2load runs, the median ratio
    local name=$1 gw=$2 ngx=$3 ratios=() g_all=() n_all=() round g n
    for round in $(seq 1 "${ROUNDS:-3}"); do
        g=$(h2rate "$gw"); n=$(h2rate "$ngx")
        ratios+=("$(ratio "$g" "$n")"); g_all+=("$g"); n_all+=("$n")
    done
    printf '| %-26s | %10s | %8s | %8s | %10s | %8s | %8s | %6s |\n' "$name" "$(median "${g_all[@]}")" - - \
        "$(median "${n_all[@]}")" - - "$(median "${ratios[@]}")"
}
if [ -z "${ONLY:-}" ] || [[ "HTTP/2 answer (h2load)" =~ $ONLY ]]; then
    h2row "HTTP/2 answer (h2load)" "https://localhost:$GATEWAY/hello/" "https://localhost:$NGX_H2/"
fi
echo
echo "ratio = median over ${ROUNDS:-3} alternating rounds. Targets (lean request path issue): TLS keep-alive answer >= 0.8,"
echo "  proxy >= 0.8; HTTP/2 answer (h2load) >= 0.7"
