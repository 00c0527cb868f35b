#!/usr/bin/env bash
# `portcullis loadtest` against its own targets (issue 17), on loopback against nginx, release build:
#
#   1. efficiency: closed loop, 1 thread, 64 connections, against nginx `return 200`, alternating with
#      wrk over ROUNDS rounds (generator pinned to core 1, nginx to core 0): throughput ratio
#      (target >= 0.9 of wrk's) and CPU time per request ratio (target <= 1.5x wrk's);
#   2. timing precision: half load (3,200 req/s over 64 connections) against a target that answers
#      after 10 ms (nginx's echo module): corrected and uncorrected p50 apart by <= 50 us, and the
#      send lateness p99 <= 200 us;
#   3. a stall: 20 s at 2,000 req/s, the target stopped (SIGSTOP) for 1 s in the middle; the
#      corrected p99, p99.9 and max against what the open-loop model predicts from the measured
#      stall S and run D (S - 0.01 D, S - 0.001 D, S), within 2% of S; the uncorrected figures beside.
#
#   bash Benchmarks/loadtest/run.sh
#   ROUNDS=6 DURATION=10s bash Benchmarks/loadtest/run.sh
#   SECTIONS="1 3" bash Benchmarks/loadtest/run.sh      # only these parts
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)
DURATION=${DURATION:-5s}
CONNECTIONS=${CONNECTIONS:-64}
THREADS=1
ROUNDS=${ROUNDS:-4}
SECTIONS=${SECTIONS:-1 2 3}
section() { [[ " $SECTIONS " == *" $1 "* ]]; }
PLAIN=18101; SLOW=18102; STALL=18103

source "$root/Benchmarks/e2e/lib.sh"
prepare nginx=nginx-light wrk=wrk
if [ ! -f /usr/lib/nginx/modules/ngx_http_echo_module.so ]; then
    sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
    $sudo apt-get update && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y --no-install-recommends libnginx-mod-http-echo
fi
lt="$gateway_bin loadtest"
mkdir -p "$work/logs" "$work/stall"

cat > "$work/nginx.conf" <<NGINX
load_module /usr/lib/nginx/modules/ngx_http_echo_module.so;
worker_processes 1;
worker_cpu_affinity 01;
pid $work/nginx.pid;
error_log $work/logs/error.log warn;
events { worker_connections 4096; }
http {
    access_log off;
    keepalive_requests 1000000;
    server { listen 127.0.0.1:$PLAIN; location / { return 200 "ok"; } }
    server { listen 127.0.0.1:$SLOW; location / { echo_sleep 0.01; echo ok; } }
}
NGINX
nginx -c "$work/nginx.conf" -p "$work"
# The stalled target: one process (no master), so that SIGSTOP stops all of it.
cat > "$work/stall/nginx.conf" <<NGINX
daemon off;
master_process off;
worker_processes 1;
pid $work/stall/nginx.pid;
error_log $work/stall/error.log warn;
events { worker_connections 4096; }
http { access_log off; keepalive_requests 1000000; server { listen 127.0.0.1:$STALL; location / { return 200 "ok"; } } }
NGINX
nginx -c "$work/stall/nginx.conf" -p "$work/stall" &
pids+=($!)
sleep 0.5

# cpu OUT COMMAND...: runs COMMAND with its output in OUT, prints its user and system CPU seconds.
cpu() { python3 -c 'import resource, subprocess, sys
subprocess.run(sys.argv[2:], stdout=open(sys.argv[1], "w"), stderr=subprocess.STDOUT, check=True)
r = resource.getrusage(resource.RUSAGE_CHILDREN); print(r.ru_utime, r.ru_stime)' "$@"; }
json() { python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$@"; }

if section 1; then
echo "==> 1. efficiency: closed loop, $CONNECTIONS connections, 1 thread, $DURATION, $ROUNDS alternating rounds"
# CPU per request in microseconds, with its user and system parts: the generators differ in where
# they spend it (wrk toggles epoll interest twice per request; ours runs NIO's channel machinery).
printf '| %5s | %10s | %10s | %6s | %20s | %20s | %6s |\n' round "wrk r/s" "ours r/s" ratio "wrk cpu/req (u+s)" "ours cpu/req (u+s)" ratio
rates=(); cpus=()
for round in $(seq 1 "$ROUNDS"); do
    read -r w_user w_sys < <(cpu "$work/wrk.out" taskset -c 1 wrk -t1 -c"$CONNECTIONS" -d"$DURATION" "http://127.0.0.1:$PLAIN/")
    w_rps=$(awk '/Requests\/sec/ {print $2}' "$work/wrk.out")
    w_n=$(awk '/requests in/ {print $1}' "$work/wrk.out")
    read -r o_user o_sys < <(cpu "$work/ours.out" taskset -c 1 $lt "http://127.0.0.1:$PLAIN/" --threads 1 --connections "$CONNECTIONS" --duration "$DURATION" --quiet --json "$work/ours.json")
    o_rps=$(json "$work/ours.json" 'd["achieved_rate"]')
    o_n=$(json "$work/ours.json" 'd["accounting"]["completed"]')
    read -r w_cpr w_parts < <(python3 -c "print(f'{($w_user + $w_sys) / $w_n * 1e6} {$w_user / $w_n * 1e6:.2f}+{$w_sys / $w_n * 1e6:.2f}')")
    read -r o_cpr o_parts < <(python3 -c "print(f'{($o_user + $o_sys) / $o_n * 1e6} {$o_user / $o_n * 1e6:.2f}+{$o_sys / $o_n * 1e6:.2f}')")
    rate_ratio=$(ratio "$o_rps" "$w_rps"); cpu_ratio=$(ratio "$o_cpr" "$w_cpr")
    rates+=("$rate_ratio"); cpus+=("$cpu_ratio")
    printf '| %5s | %10.0f | %10.0f | %6s | %8.2f (%s) | %8.2f (%s) | %6s |\n' "$round" "$w_rps" "$o_rps" "$rate_ratio" "$w_cpr" "$w_parts" "$o_cpr" "$o_parts" "$cpu_ratio"
done
echo "median throughput ratio (ours/wrk, target >= 0.9): $(median "${rates[@]}")"
echo "median CPU per request ratio (ours/wrk, target <= 1.5): $(median "${cpus[@]}")"
fi

if section 2; then
echo "==> 2. timing precision: 3200 req/s over $CONNECTIONS connections against a 10 ms target, 10 s, 3 rounds"
printf '| %5s | %12s | %12s | %10s | %14s | %14s |\n' round "p50 corr ms" "p50 unc ms" "diff us" "lateness p99 us" "lateness p99.9 us"
diffs=(); late=()
for round in 1 2 3; do
    taskset -c 1 $lt "http://127.0.0.1:$SLOW/" --threads 1 --connections "$CONNECTIONS" --rate 3200 --duration 10s --warmup 1s --quiet --json "$work/precision.json" > /dev/null
    c=$(json "$work/precision.json" 'd["classes"]["default"]["latency_ms"]["p50"]')
    u=$(json "$work/precision.json" 'd["classes"]["default"]["uncorrected_latency_ms"]["p50"]')
    l99=$(json "$work/precision.json" 'd["send_lateness_ms"]["p99"] * 1000')
    l999=$(json "$work/precision.json" 'd["send_lateness_ms"]["p999"] * 1000')
    d=$(python3 -c "print(round(($c - $u) * 1000, 1))")
    diffs+=("$d"); late+=("$l99")
    printf '| %5s | %12s | %12s | %10s | %14.0f | %14.0f |\n' "$round" "$c" "$u" "$d" "$l99" "$l999"
done
echo "median corrected - uncorrected p50 (target <= 50 us): $(median "${diffs[@]}") us"
echo "median send lateness p99 (target <= 200 us): $(median "${late[@]}") us"
fi

if section 3; then
echo "==> 3. a 1 s stall (SIGSTOP) in a 20 s run at 2000 req/s"
taskset -c 1 $lt "http://127.0.0.1:$STALL/" --threads 1 --connections "$CONNECTIONS" --rate 2000 --duration 20s --quiet --json "$work/stall.json" > "$work/stall.out" &
ltpid=$!
sleep 8
stall_pid=$(cat "$work/stall/nginx.pid")
from=$(date +%s%N); kill -STOP "$stall_pid"; sleep 1; kill -CONT "$stall_pid"; to=$(date +%s%N)
wait $ltpid || true
python3 - "$work/stall.json" "$from" "$to" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
stall = (int(sys.argv[3]) - int(sys.argv[2])) / 1e6
run = d["duration_seconds"] * 1000
c = d["classes"]["default"]["latency_ms"]; u = d["classes"]["default"]["uncorrected_latency_ms"]
print(f"stall {stall:.1f} ms in a {run:.0f} ms run; accounting {d['accounting']}")
print(f"| {'':10} | {'predicted':>10} | {'corrected':>10} | {'off, % of S':>11} | {'uncorrected':>11} |")
for name, key, predicted in (("p99", "p99", stall - 0.01 * run), ("p99.9", "p999", stall - 0.001 * run), ("max", "max", stall)):
    off = (c[key] - predicted) / stall * 100
    print(f"| {name:10} | {predicted:10.1f} | {c[key]:10.1f} | {off:+10.1f}% | {u[key]:11.1f} |")
PY
fi
