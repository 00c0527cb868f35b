#!/usr/bin/env bash
# End-to-end load comparison on loopback: a release build of Portcullis against nginx, same machine,
# same run, same backend (an nginx process of its own, see backend_nginx in lib.sh). Prints req/s,
# p50, p99 and the Portcullis/nginx ratio per scenario.
#
#   bash Benchmarks/e2e/run.sh                 # 5 s per run, 64 connections, 1 wrk thread, 3 rounds
#   DURATION=10s CONNECTIONS=128 ROUNDS=5 bash Benchmarks/e2e/run.sh
#   ONLY="proxy|401" bash Benchmarks/e2e/run.sh   # the rows whose names match
#   GATEWAY_BIN=/tmp/old/portcullis bash Benchmarks/e2e/run.sh   # another build (before/after), no build here
#
# Scenarios (gateway vs nginx):
#   proxy, no auth          /open/     vs  nginx proxy_pass
#   proxy vs passthrough    /open/     vs  a TCP splice on SwiftNIO (Benchmarks/spikes/tcp-passthrough)
#   Basic + proxy (SHA)     /basic/    vs  nginx auth_basic ({SHA} file) + proxy_pass
#   Basic + proxy (bcrypt)  /basic/    vs  nginx auth_basic (bcrypt cost 10) + proxy_pass
#   Basic + answer here     /hello     vs  nginx auth_basic ({SHA}) + a static file
#   401 (no credentials)    /basic/    vs  nginx auth_basic 401
#   JWT + proxy             /jwt/      vs  nginx proxy_pass without auth   (RS256 token, cache hit)
#   JWT + proxy vs own      /jwt/      vs  the gateway's own /open/ with the same bearer header
#   JWT + answer here       /jwthello  vs  nginx return 200                (RS256 token, cache hit)
#   Introspection + proxy   /introspect/       vs  nginx proxy_pass without auth   (warm cache)
#   Introspection + answer  /introspecthello   vs  nginx return 200                (warm cache)
#   LDAP + proxy            /ldap/             vs  nginx proxy_pass without auth   (warm cache)
#   LDAP + answer here      /ldaphello         vs  nginx return 200                (warm cache)
#   OAuth2 upstream auth    /tokenup/          vs  nginx proxy_pass without auth   (client-credentials token, cached)
#   Forward auth via nginx  nginx auth_request asking the gateway, then proxy_pass   vs  nginx auth_basic ({SHA}) + proxy_pass
#   Decision (ext_authz)    /_portcullis/ext_authz/basic/ (a forward-auth decision)  vs  nginx auth_basic ({SHA}) + a static file
# The gateway's Basic user is bcrypt cost 10: with its credential cache only the first request pays.
# The JWT is minted by `portcullis token` with a key made here; after the first request every one is
# a verification-cache hit. The introspection rows ask a real authorization server (django-oauth-toolkit,
# the test fixture, in the tests' virtualenv) once per token; every later request is a cache hit.
# The LDAP rows bind to a real slapd (Benchmarks/ldap/slapd.sh) once; every later request is a
# credential-cache hit.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)
DURATION=${DURATION:-5s}
CONNECTIONS=${CONNECTIONS:-64}
THREADS=${THREADS:-1}
WORKERS=${WORKERS:-$(nproc)}   # nginx workers = the gateway's event-loop threads (one per core)

source "$root/Benchmarks/e2e/lib.sh"
prepare nginx=nginx-light wrk=wrk htpasswd=apache2-utils openssl=openssl slapd=slapd

BACKEND=18080; PASSTHROUGH=18086; NGX_FA=18087; NGX_PROXY=18081; NGX_SHA=18082; NGX_BCRYPT=18083; NGX_HELLO=18084; NGX_RETURN=18085; GATEWAY=18090; IDP=18095; LDAP=18096

oauth2_server "$IDP"
bash "$root/Benchmarks/ldap/slapd.sh" "$work/slapd" "$LDAP" > "$work/slapd.out" 2>&1 &
pids+=($!)

htpasswd -bcs "$work/sha.htpasswd" alice alice123 >/dev/null 2>&1
htpasswd -bcB -C 10 "$work/bcrypt.htpasswd" alice alice123 >/dev/null 2>&1
printf 'Hello, World!' > "$work/hello.txt"
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$work/jwt.key" 2>/dev/null
openssl pkey -in "$work/jwt.key" -pubout -out "$work/jwt.pub"
chmod 644 "$work"/*.htpasswd "$work/hello.txt"
mkdir -p "$work/logs"

cat > "$work/nginx.conf" <<NGINX
worker_processes $WORKERS;
pid $work/nginx.pid;
error_log $work/logs/error.log warn;
events { worker_connections 4096; }
http {
    access_log off;
    keepalive_requests 1000000;
    upstream backend { server 127.0.0.1:$BACKEND; keepalive 256; }
    server {
        listen 127.0.0.1:$NGX_PROXY;
        location / { proxy_pass http://backend; proxy_http_version 1.1; proxy_set_header Connection ""; }
    }
    server {
        listen 127.0.0.1:$NGX_SHA;
        location / { auth_basic "portcullis"; auth_basic_user_file $work/sha.htpasswd;
                     proxy_pass http://backend; proxy_http_version 1.1; proxy_set_header Connection ""; }
    }
    server {
        listen 127.0.0.1:$NGX_BCRYPT;
        location / { auth_basic "portcullis"; auth_basic_user_file $work/bcrypt.htpasswd;
                     proxy_pass http://backend; proxy_http_version 1.1; proxy_set_header Connection ""; }
    }
    server {
        listen 127.0.0.1:$NGX_HELLO;
        location / { auth_basic "portcullis"; auth_basic_user_file $work/sha.htpasswd;
                     default_type text/plain; root $work; try_files /hello.txt =404; }
    }
    server {
        listen 127.0.0.1:$NGX_RETURN;
        location / { default_type text/plain; return 200 "Hello, World!"; }
    }
    # Forward auth: every request asks the gateway (docs/FORWARD_AUTH.md), over kept-alive connections.
    upstream portcullis { server 127.0.0.1:$GATEWAY; keepalive 64; }
    server {
        listen 127.0.0.1:$NGX_FA;
        location = /_portcullis_auth {
            internal;
            proxy_pass http://portcullis/_portcullis/auth;
            proxy_http_version 1.1; proxy_set_header Connection "";
            proxy_pass_request_body off; proxy_set_header Content-Length "";
            proxy_set_header X-Original-URI \$request_uri; proxy_set_header X-Original-Method \$request_method;
        }
        location / { auth_request /_portcullis_auth;
                     proxy_pass http://backend; proxy_http_version 1.1; proxy_set_header Connection ""; }
    }
}
NGINX
nginx -c "$work/nginx.conf" -p "$work"
backend_nginx "$BACKEND"

# The ceiling of any NIO proxy: bytes spliced to the backend on the same loop, no HTTP.
echo "==> building the TCP passthrough spike (release)"
swift build -c release --package-path "$root/Benchmarks/spikes/tcp-passthrough" >/dev/null
"$root/Benchmarks/spikes/tcp-passthrough/.build/release/TCPPassthrough" "$PASSTHROUGH" "$BACKEND" "$WORKERS" > "$work/passthrough.out" 2>&1 &
pids+=($!)

ldap_record="connectionUrl = \"ldap://127.0.0.1:$LDAP\", connectionName = \"cn=gateway,dc=example,dc=com\", connectionPassword = \"gateway-secret\", userSearchBase = \"ou=people,dc=example,dc=com\", userNameSearchFilter = \"(&(objectClass=inetOrgPerson)(uid=?))\", groupSearchBase = [\"ou=groups,dc=example,dc=com\"]"
for _ in $(seq 1 100); do grep -q ready "$work/slapd.out" && break; sleep 0.1; done
grep -q ready "$work/slapd.out" || { echo "error: slapd did not start: $(cat "$work/slapd.out")" >&2; exit 1; }
cat > "$work/gateway.toml" <<TOML
[listener]
port = $GATEWAY
[forwardAuth]
pathPrefix = "/_portcullis/ext_authz"
[[ballerina.auth.users]]
username = "alice"
password = "$(cut -d: -f2 "$work/bcrypt.htpasswd")"
scopes = ["hello"]
[[service]]
name = "open"
basePath = "/open"
upstream = "http://127.0.0.1:$BACKEND"
[[service]]
name = "basic"
basePath = "/basic"
upstream = "http://127.0.0.1:$BACKEND"
  [[service.auth]]
  fileUserStoreConfig = {}
  scopes = ["hello"]
[[service]]
name = "hello"
basePath = "/hello"
  [[service.auth]]
  fileUserStoreConfig = {}
  scopes = ["hello"]
  [[service.resource]]
  path = "/"
  respond = { status = 200, body = "Hello, World!" }
[[service]]
name = "jwt"
basePath = "/jwt"
upstream = "http://127.0.0.1:$BACKEND"
  [[service.auth]]
  scopes = ["hello"]
  jwtValidatorConfig = { issuer = "bench", signatureConfig = { certFile = "$work/jwt.pub" } }
[[service]]
name = "jwthello"
basePath = "/jwthello"
  [[service.auth]]
  scopes = ["hello"]
  jwtValidatorConfig = { issuer = "bench", signatureConfig = { certFile = "$work/jwt.pub" } }
  [[service.resource]]
  path = "/"
  respond = { status = 200, body = "Hello, World!" }
[[service]]
name = "introspect"
basePath = "/introspect"
upstream = "http://127.0.0.1:$BACKEND"
  [[service.auth]]
  scopes = ["hello"]
  oauth2IntrospectionConfig = { url = "http://127.0.0.1:$IDP/o/introspect/", clientConfig = { auth = { username = "resource-server", password = "resource-secret" } } }
[[service]]
name = "introspecthello"
basePath = "/introspecthello"
  [[service.auth]]
  scopes = ["hello"]
  oauth2IntrospectionConfig = { url = "http://127.0.0.1:$IDP/o/introspect/", clientConfig = { auth = { username = "resource-server", password = "resource-secret" } } }
  [[service.resource]]
  path = "/"
  respond = { status = 200, body = "Hello, World!" }
[[service]]
name = "ldap"
basePath = "/ldap"
upstream = "http://127.0.0.1:$BACKEND"
  [[service.auth]]
  scopes = ["hello"]
  ldapUserStoreConfig = { $ldap_record }
[[service]]
name = "tokenup"
basePath = "/tokenup"
upstream = "http://127.0.0.1:$BACKEND"
  [service.upstreamClient.auth]
  tokenUrl = "http://127.0.0.1:$IDP/o/token/"
  clientId = "gateway"
  clientSecret = "gateway-secret"
  scopes = ["hello"]
[[service]]
name = "ldaphello"
basePath = "/ldaphello"
  [[service.auth]]
  scopes = ["hello"]
  ldapUserStoreConfig = { $ldap_record }
  [[service.resource]]
  path = "/"
  respond = { status = 200, body = "Hello, World!" }
TOML
"$gateway_bin" serve --config "$work/gateway.toml" --log-level warning &
pids+=($!)
for _ in $(seq 1 100); do curl -s -o /dev/null "http://127.0.0.1:$GATEWAY/open/" && break; sleep 0.1; done

auth="Authorization: Basic $(printf 'alice:alice123' | base64)"
bearer="Authorization: Bearer $("$gateway_bin" token --key "$work/jwt.key" --iss bench --sub alice --scope hello --exp 86400)"
for _ in $(seq 1 300); do grep -q ready "$work/oauth2.out" && break; sleep 0.1; done
grep -q ready "$work/oauth2.out" || { echo "error: the authorization server did not start: $(cat "$work/oauth2.out")" >&2; exit 1; }
opaque=$(curl -s -u gateway:gateway-secret -d grant_type=client_credentials -d scope=hello "http://127.0.0.1:$IDP/o/token/" |
    sed -n 's/.*"access_token": *"\([^"]*\)".*/\1/p')
[ -n "$opaque" ] || { echo "error: no token from the authorization server" >&2; exit 1; }
introspected="Authorization: Bearer $opaque"

echo "==> $(nproc) cores; wrk -t$THREADS -c$CONNECTIONS -d$DURATION; nginx workers $WORKERS"
header
row "proxy, no auth" 200 "http://127.0.0.1:$GATEWAY/open/" "http://127.0.0.1:$NGX_PROXY/"
row "proxy vs TCP passthrough" 200 "http://127.0.0.1:$GATEWAY/open/" "http://127.0.0.1:$PASSTHROUGH/"
row "Basic + proxy vs {SHA}" 200 "http://127.0.0.1:$GATEWAY/basic/" "http://127.0.0.1:$NGX_SHA/" "$auth"
row "Basic + proxy vs bcrypt" 200 "http://127.0.0.1:$GATEWAY/basic/" "http://127.0.0.1:$NGX_BCRYPT/" "$auth"
row "Basic + answer here" 200 "http://127.0.0.1:$GATEWAY/hello/" "http://127.0.0.1:$NGX_HELLO/" "$auth"
row "401, no credentials" 401 "http://127.0.0.1:$GATEWAY/basic/" "http://127.0.0.1:$NGX_SHA/"
row "JWT + proxy vs no auth" 200 "http://127.0.0.1:$GATEWAY/jwt/" "http://127.0.0.1:$NGX_PROXY/" "$bearer"
# The auth's own cost: the same request bytes (the bearer header) to the gateway's no-auth route, in
# the "nginx" columns; the issue's target is >= 0.95.
row "JWT + proxy vs own no-auth" 200 "http://127.0.0.1:$GATEWAY/jwt/" "http://127.0.0.1:$GATEWAY/open/" "$bearer"
row "JWT + answer vs return 200" 200 "http://127.0.0.1:$GATEWAY/jwthello/" "http://127.0.0.1:$NGX_RETURN/" "$bearer"
row "Introspect + proxy vs none" 200 "http://127.0.0.1:$GATEWAY/introspect/" "http://127.0.0.1:$NGX_PROXY/" "$introspected"
row "Introspect + answer vs 200" 200 "http://127.0.0.1:$GATEWAY/introspecthello/" "http://127.0.0.1:$NGX_RETURN/" "$introspected"
row "LDAP + proxy vs none" 200 "http://127.0.0.1:$GATEWAY/ldap/" "http://127.0.0.1:$NGX_PROXY/" "$auth"
row "OAuth2 upstream auth vs none" 200 "http://127.0.0.1:$GATEWAY/tokenup/" "http://127.0.0.1:$NGX_PROXY/"
row "LDAP + answer vs 200" 200 "http://127.0.0.1:$GATEWAY/ldaphello/" "http://127.0.0.1:$NGX_RETURN/" "$auth"
row "Forward auth via nginx" 200 "http://127.0.0.1:$NGX_FA/basic/" "http://127.0.0.1:$NGX_SHA/" "$auth"
row "Decision (ext_authz) Basic" 200 "http://127.0.0.1:$GATEWAY/_portcullis/ext_authz/basic/" "http://127.0.0.1:$NGX_HELLO/" "$auth"

echo
echo "ratio = median over ${ROUNDS:-3} alternating rounds of gateway req/s / nginx req/s. Targets (lean request path issue):"
echo "  proxy, no auth >= 0.9; Basic + proxy >= 0.9 (vs {SHA}); JWT + proxy >= 1.0 (and >= 0.95 of the gateway's own"
echo "  no-auth proxy: the 'vs own no-auth' row); Basic + answer here >= 0.8; 401 >= 0.8"
