# Shared by the end-to-end scripts. The caller sets root, THREADS, CONNECTIONS and DURATION, then
# calls prepare, which sets gateway_bin, work and pids.

# prepare TOOL=PACKAGE...: installs the Debian package of each missing tool, builds the release
# gateway ($gateway_bin) and makes the work folder ($work) that an EXIT trap removes after stopping
# nginx and every process in $pids.
prepare() {
    local need=() pair
    for pair in "$@"; do command -v "${pair%%=*}" >/dev/null || need+=("${pair#*=}"); done
    # The build itself needs OpenLDAP's headers (the CLDAP target).
    dpkg-query -W -f='${Status}' libldap-dev 2>/dev/null | grep -q "install ok installed" || need+=(libldap-dev)
    if ((${#need[@]})); then
        local sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
        $sudo apt-get update
        DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y --no-install-recommends "${need[@]}"
    fi
    if [ -n "${GATEWAY_BIN:-}" ]; then
        # A before/after comparison: another build of the gateway, e.g. one from an older commit.
        gateway_bin=$(realpath "$GATEWAY_BIN")
        echo "==> the gateway: $gateway_bin"
    else
        echo "==> building the gateway (release)"
        swift build -c release --product portcullis >/dev/null
        gateway_bin="$root/.build/release/portcullis"
    fi
    work=$(mktemp -d)
    chmod 755 "$work"   # nginx workers run as an unprivileged user and must read the files in it
    pids=()
    trap cleanup EXIT
}

# oauth2_server PORT: the tests' authorization server (django-oauth-toolkit, in the tests'
# virtualenv, made here if missing) on PORT, its output in $work/oauth2.out.
oauth2_server() {
    local python="$root/.build/test-python/bin/python"
    if ! "$python" -c "import django, oauth2_provider" 2>/dev/null; then
        python3 -m venv "$root/.build/test-python"
        "$root/.build/test-python/bin/pip" install --quiet --disable-pip-version-check "django==5.2.*" "django-oauth-toolkit==3.4.*"
    fi
    # Its standard input is a FIFO this shell holds open: the server exits when the script does.
    mkfifo "$work/oauth2.in"
    exec 7<>"$work/oauth2.in"
    "$python" "$root/Tests/PortcullisGatewayTests/Fixtures/oauth2_server.py" "$work/oauth2" --port "$1" < "$work/oauth2.in" > "$work/oauth2.out" 2>&1 &
    pids+=($!)
}

# backend_nginx PORT: the upstream every proxy row forwards to, an nginx of its own answering
# `200 ok` with $WORKERS workers. Its own process, as a real upstream is: inside the compared
# nginx, that nginx's workers would serve their own upstream requests in the same event-loop
# turn (no wake-up of another process), which a gateway in front of anything never can.
backend_nginx() {
    mkdir -p "$work/backend"
    cat > "$work/backend/nginx.conf" <<NGINX
worker_processes ${WORKERS:-$(nproc)};
pid $work/backend/nginx.pid;
error_log $work/backend/error.log warn;
events { worker_connections 4096; }
http { access_log off; keepalive_requests 1000000; server { listen 127.0.0.1:$1; location / { return 200 "ok"; } } }
NGINX
    nginx -c "$work/backend/nginx.conf" -p "$work/backend"
}

cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    [ -f "$work/nginx.pid" ] && kill "$(cat "$work/nginx.pid")" 2>/dev/null || true
    [ -f "$work/backend/nginx.pid" ] && kill "$(cat "$work/backend/nginx.pid")" 2>/dev/null || true
    rm -rf "$work"
}

# run URL [header] -> "rps p50 p99"
run() {
    local url=$1; shift
    local args=(-t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency)
    [ $# -gt 0 ] && args+=(-H "$1")
    wrk "${args[@]}" "$url" > "$work/wrk.out" 2>&1
    local rps p50 p99 non2xx
    rps=$(awk '/Requests\/sec/ {print $2}' "$work/wrk.out")
    p50=$(awk '$1=="50%" {print $2}' "$work/wrk.out")
    p99=$(awk '$1=="99%" {print $2}' "$work/wrk.out")
    non2xx=$(awk '/Non-2xx/ {print $NF}' "$work/wrk.out")
    echo "$rps $p50 $p99 ${non2xx:-0}"
}

# expect STATUS URL [header]: a scenario that answers anything else measures the wrong thing.
expect() {
    local want=$1 url=$2; shift 2
    local got
    got=$(curl -s --max-time 10 ${CURL_CA:+--cacert "$CURL_CA"} -o /dev/null -w '%{http_code}' "$url" ${1:+-H "$1"})
    if [ "$got" != "$want" ]; then
        echo "error: $url answered $got, not $want; see $work/logs/error.log" >&2
        exit 1
    fi
}

row() {  # name status gateway-url nginx-url [header]
    # ROUNDS alternating runs (gateway, nginx, gateway, nginx, ...): the noisy machine moves both
    # sides of a round alike, so the median of the per-round ratios is the figure to quote.
    local name=$1 status=$2 gw=$3 ngx=$4; shift 4
    if [ -n "${ONLY:-}" ] && ! [[ "$name" =~ $ONLY ]]; then return; fi
    expect "$status" "$gw" "$@"; expect "$status" "$ngx" "$@"   # also warms caches and pools
    local ratios=() g_all=() n_all=() round
    for round in $(seq 1 "${ROUNDS:-3}"); do
        read -r g_rps g_p50 g_p99 g_bad <<<"$(run "$gw" "$@")"
        read -r n_rps n_p50 n_p99 n_bad <<<"$(run "$ngx" "$@")"
        if [ "$status" = 200 ] && { [ "$g_bad" != 0 ] || [ "$n_bad" != 0 ]; }; then
            echo "warning: $name: non-2xx answers under load: gateway $g_bad, nginx $n_bad" >&2
        fi
        ratios+=("$(ratio "$g_rps" "$n_rps")"); g_all+=("$g_rps"); n_all+=("$n_rps")
    done
    # The last round's latencies; the medians of the rates and of the ratios.
    printf '| %-26s | %10s | %8s | %8s | %10s | %8s | %8s | %6s |\n' "$name" "$(median "${g_all[@]}")" "$g_p50" "$g_p99" \
        "$(median "${n_all[@]}")" "$n_p50" "$n_p99" "$(median "${ratios[@]}")"
}

median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.2f", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

header() {
    printf '| %-26s | %10s | %8s | %8s | %10s | %8s | %8s | %6s |\n' scenario "gw req/s" "gw p50" "gw p99" "nginx r/s" "ngx p50" "ngx p99" ratio
    printf '|%s|\n' "----------------------------|------------|----------|----------|------------|----------|----------|--------"
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }'; }
