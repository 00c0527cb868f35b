#!/usr/bin/env bash
# Signature verification: Portcullis against `openssl speed`, same key types, same machine,
# alternating over ROUNDS rounds (this VM's timings drift by a third within a minute).
#
#   bash Benchmarks/jwt-vs-openssl.sh            # ROUNDS=3, OPENSSL_SECONDS=2 by default
#
# Per round: `openssl speed` (RSA 2048, P-256, P-384), then ours (p50 of package-benchmark):
#   JWT.signature.X  the bare check through swift-crypto (BoringSSL underneath), and
#   JWT.verify.X     a whole JWT validation with the cache off: header and payload decoding, the
#                    algorithm-from-key rule, key lookup, signature, claims (principals drop the
#                    token's other claims, as the gateway's do);
#   JWT.miss.RS256.cacheOn  the same for a new RS256 token with the cache on, as the gateway meets
#                    one: a SHA-256 of the whole token (its cache key), the probe, and the insertion;
#   Auth.jwt.cacheHit a cached token through a policy, from the `Authorization` value to the
#                    decision (no OpenSSL counterpart: its target is absolute).
# Prints each round's ratios and the median of the per-round ratios.
set -euo pipefail
cd "$(dirname "$0")"
ROUNDS=${ROUNDS:-3}
OPENSSL_SECONDS=${OPENSSL_SECONDS:-2}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

openssl_us() {  # -> "rsa2048_verify_us ecdsap256_verify_us ecdsap384_verify_us"
    openssl speed -mr -seconds "$OPENSSL_SECONDS" rsa2048 ecdsap256 ecdsap384 2>/dev/null | awk -F: '
        $1 == "+F2" && $3 == 2048 { rsa = 1e6 / $5 }
        $1 == "+F4" && $3 == 256  { ec  = 1e6 / $5 }
        $1 == "+F4" && $3 == 384  { ec384 = 1e6 / $5 }
        END { printf "%.2f %.2f %.2f\n", rsa, ec, ec384 }'
}

# p50 (µs) or allocations (p50 of "Malloc (total)") of the row under "### NAME" in a markdown report.
metric() {  # FILE NAME "Time (wall clock)"|"Malloc (total)"
    awk -v name="### $2" -v metric="$3" '
        $0 == name { found = 1; next }
        /^### / { found = 0 }
        found && index($0, metric) {
            split($0, cells, "|"); p50 = cells[5] + 0
            if ($0 ~ /\(ns\)/) p50 /= 1000; else if ($0 ~ /\(ms\)/) p50 *= 1000
            if ($0 ~ /\(K\)/) p50 *= 1000
            printf "%.3f", p50; exit
        }' "$1"
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{ v[NR] = $1 } END { printf "%.2f", (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

echo "==> building JWTHotPath (release)"
swift build -c release --product JWTHotPath > "$out/build.log" 2>&1 || { cat "$out/build.log"; exit 1; }
declare -A ratios
for round in $(seq 1 "$ROUNDS"); do
    echo "==> round $round/$ROUNDS: openssl speed ($(openssl version | cut -d' ' -f1-2))"
    read -r rsa ec ec384 <<<"$(openssl_us)"
    echo "==> round $round/$ROUNDS: package-benchmark JWTHotPath"
    swift package benchmark --target JWTHotPath --filter '^JWT\.(verify|signature)\.(RS256|ES256|ES384)$|^JWT\.miss\.RS256\.cacheOn$|^Auth\.jwt\.cacheHit$' \
        --time-units nanoseconds --format markdown --no-progress > "$out/round$round.md" 2>&1 || { cat "$out/round$round.md"; exit 1; }
    printf '\n| %-6s | %-17s | %-22s | %-5s | %-20s | %-5s |\n' key "openssl µs/verify" "JWT.signature µs (p50)" ratio "JWT.verify µs (p50)" ratio
    printf '|%s|\n' "--------|-------------------|------------------------|-------|----------------------|-------"
    for row in "RS256 $rsa" "ES256 $ec" "ES384 $ec384"; do
        read -r alg base <<<"$row"
        sig=$(metric "$out/round$round.md" "JWT.signature.$alg" "Time (wall clock)")
        full=$(metric "$out/round$round.md" "JWT.verify.$alg" "Time (wall clock)")
        ratios[$alg.sig]+="$(ratio "$sig" "$base") "
        ratios[$alg.full]+="$(ratio "$full" "$base") "
        printf '| %-6s | %17s | %22s | %5s | %20s | %5s |\n' "$alg" "$base" "$sig" "$(ratio "$sig" "$base")" "$full" "$(ratio "$full" "$base")"
    done
    miss=$(metric "$out/round$round.md" "JWT.miss.RS256.cacheOn" "Time (wall clock)")
    ratios[miss]+="$(ratio "$miss" "$rsa") "
    echo "JWT.miss.RS256.cacheOn p50 $miss µs: $(ratio "$miss" "$rsa")x openssl's RSA 2048 verify"
    hit=$(metric "$out/round$round.md" "Auth.jwt.cacheHit" "Time (wall clock)")
    ratios[hit]+="$hit "
    echo "Auth.jwt.cacheHit p50 $hit µs, $(metric "$out/round$round.md" "Auth.jwt.cacheHit" "Malloc (total)") allocations"
done
echo
echo "==> medians of the per-round ratios ($ROUNDS rounds)"
for alg in RS256 ES256 ES384; do
    echo "$alg: JWT.signature $(median <<<"${ratios[$alg.sig]}")x openssl, JWT.verify $(median <<<"${ratios[$alg.full]}")x openssl (rounds: ${ratios[$alg.full]% })"
done
echo "RS256 new token, cache on: JWT.miss.RS256.cacheOn $(median <<<"${ratios[miss]}")x openssl (rounds: ${ratios[miss]% })"
echo "Auth.jwt.cacheHit: p50 $(median <<<"${ratios[hit]}") µs (rounds: ${ratios[hit]% })"
echo "targets (issue 20): whole validation RS256 and ES256 <= 1.2x openssl's verify, ES384 <= 1.5x; cache hit <= 1 µs, <= 2 allocations"
