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
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)
DURATION=${DURATION:-5s}
CONNECTIONS=${CONNECTIONS:-64}
THREADS=${THREADS:-1}
WORKERS=${WORKERS:-$(nproc)}

source "$root/Benchmarks/e2e/lib.sh"
prepare nginx=nginx-light wrk=wrk openssl=openssl

BACKEND=18180; NGX_HELLO=18181; NGX_PROXY=18182; GATEWAY=18190

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
    server { listen 127.0.0.1:$BACKEND; location / { return 200 "ok"; } }
    server { listen 127.0.0.1:$NGX_HELLO ssl; location / { default_type text/plain; return 200 "Hello, World!"; } }
    server {
        listen 127.0.0.1:$NGX_PROXY ssl;
        location / { proxy_pass http://backend; proxy_http_version 1.1; proxy_set_header Connection ""; }
    }
}
NGINX
nginx -c "$work/nginx.conf" -p "$work"

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
