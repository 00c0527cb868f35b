#!/usr/bin/env bash
# Bytes per cached JWT (the memory budget issue): a release gateway with a JWT cache of 2×COUNT,
# then COUNT distinct HS256 tokens (portcullis loadtest --jwt-unique, each sent once) so that each
# is verified and cached; RSS growth over the gateway's RSS after a warm-up of the same shape, and
# the gateway's own estimate (portcullis_cache_bytes) beside it. KIND=introspection does the same
# for the introspection cache: the tokens are introspected at an endpoint that calls every one
# active (nginx with one fixed answer, a benchmark stand-in for an authorization server).
# KIND=basic: the file user store's verified-credential cache, filled with COUNT distinct users
# (`--basic-unique`); that cache holds 10,000 credentials, so COUNT defaults to 9,000 there.
# KIND=ldap: the LDAP store's credential cache (capacity 2×COUNT), COUNT directory users of a real
# slapd (Benchmarks/ldap/slapd.sh), each bound once.
#
#   bash Benchmarks/e2e/cache-memory.sh            # COUNT=100000
#   KIND=introspection bash Benchmarks/e2e/cache-memory.sh
#   KIND=basic bash Benchmarks/e2e/cache-memory.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)
KIND=${KIND:-jwt}
COUNT=${COUNT:-$(case "$KIND" in basic|ldap) echo 9000 ;; *) echo 100000 ;; esac)}
WARM=$(case "$KIND" in basic|ldap) echo 500 ;; *) echo 1000 ;; esac)
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
basic)
    # Users w0… for the warm-up and u0… for the measured run; plain-text passwords (checked at
    # once: this measures the cache, not the verifier).
    python3 - "$WARM" "$COUNT" > "$work/users.toml" <<'PY'
import sys
for prefix, count in (("w", int(sys.argv[1])), ("u", int(sys.argv[2]))):
    for i in range(count):
        print(f'[[ballerina.auth.users]]\nusername = "{prefix}{i}"\npassword = "pw{i}"\nscopes = ["read", "write"]')
PY
    entry="fileUserStoreConfig = {}" ;;
ldap)
    LDAP=18193
    USERS="w:$WARM u:$COUNT" bash "$root/Benchmarks/ldap/slapd.sh" "$work/slapd" "$LDAP" > "$work/slapd.out" 2>&1 & pids+=($!)
    for _ in $(seq 1 600); do grep -q ready "$work/slapd.out" 2>/dev/null && break; sleep 0.1; done
    grep -q ready "$work/slapd.out" || { cat "$work/slapd.out"; exit 1; }
    entry="ldapUserStoreConfig = { connectionUrl = \"ldap://127.0.0.1:$LDAP\", connectionName = \"cn=gateway,dc=example,dc=com\", connectionPassword = \"gateway-secret\", userSearchBase = \"ou=people,dc=example,dc=com\", userNameSearchFilter = \"(&(objectClass=inetOrgPerson)(uid=?))\", groupSearchBase = [\"ou=groups,dc=example,dc=com\"], cacheConfig = { capacity = $((COUNT * 2)) } }" ;;
*) echo "error: KIND is jwt, introspection, basic or ldap" >&2; exit 2 ;;
esac
printf 'a-shared-secret-of-at-least-32-bytes!' > "$work/secret"
cat > "$work/gateway.toml" <<TOML
[listener]
port = $GATEWAY
[metrics]
port = $METRICS
$([ "$KIND" = basic ] && cat "$work/users.toml")
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
load() {  # load N [prefix]: N distinct credentials, each sent once
    if [ "$KIND" = basic ] || [ "$KIND" = ldap ]; then
        credentials=(--basic "$2{i}:pw{i}" --basic-unique "$1")
    else
        credentials=(--jwt-key "$work/secret" --jwt-alg HS256 --jwt-claim 'iss="bench"' --jwt-claim 'scope="read write"' --jwt-unique "$1")
    fi
    "$gateway_bin" loadtest "http://127.0.0.1:$GATEWAY/jwt/" --connections 16 --threads 1 --requests "$1" --duration 10m --quiet \
        "${credentials[@]}" > "$work/load.out" 2>&1 || { cat "$work/load.out"; exit 1; }
}
# Warm-up: every allocator arena and pool in use once, WARM entries in the cache.
load "$WARM" w
sleep 2
before=$(rss)
load "$COUNT" u
sleep 2
after=$(rss)
cache=$KIND; [ "$KIND" = basic ] && cache=basic_file; [ "$KIND" = ldap ] && cache=basic_ldap
entries=$(curl -s "http://127.0.0.1:$METRICS/metrics" | awk -v kind="$cache" '$1 == "portcullis_cache_entries{cache=\"" kind "\"}" {print $2}')
estimate=$(curl -s "http://127.0.0.1:$METRICS/metrics" | awk -v kind="$cache" '$1 == "portcullis_cache_bytes{cache=\"" kind "\"}" {print $2}')
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
