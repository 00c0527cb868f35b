#!/usr/bin/env bash
# Runs the request-path benchmarks (and a fresh JWT's validation) in process and checks each one's
# allocations per request (p90)
# against Benchmarks/Thresholds/allocations.tsv: more allocations than committed is a failure
# (exit 1), fewer a reminder to lower the threshold. Allocation counts are steady where times are
# not, so this is the check that can run anywhere.
#
#   bash Benchmarks/check-allocations.sh
set -euo pipefail
cd "$(dirname "$0")"
out=$(mktemp)
trap 'rm -f "$out"' EXIT
swift package benchmark --target RequestPathHotPath --no-progress --format markdown > "$out" 2>/dev/null
# A fresh token's whole validation (the JWT miss path), RS256 and ES256, claims dropped as the gateway does.
swift package benchmark --target JWTHotPath --filter '^JWT\.verify\.(RS256|ES256)$' --no-progress --format markdown >> "$out" 2>/dev/null
status=0
while IFS=$'\t' read -r name limit; do
    case "$name" in ''|'#'*) continue ;; esac
    # The "Malloc (total)" row after "### NAME": columns p0 p25 p50 p75 p90 ...
    measured=$(awk -v name="### $name" '
        $0 == name { found = 1; next }
        found && /^### / { exit }
        found && /Malloc \(total\)/ { split($0, cells, "|"); gsub(/ /, "", cells[7]); print cells[7]; exit }
    ' "$out")
    if [ -z "$measured" ]; then
        echo "FAIL $name: not measured"; status=1
    elif [ "$measured" -gt "$limit" ]; then
        echo "FAIL $name: $measured allocations per request, threshold $limit"; status=1
    elif [ "$measured" -lt "$limit" ]; then
        echo "ok   $name: $measured (below the threshold $limit: lower it in Thresholds/allocations.tsv)"
    else
        echo "ok   $name: $measured"
    fi
done < Thresholds/allocations.tsv
exit $status
