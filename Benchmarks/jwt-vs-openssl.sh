#!/usr/bin/env bash
# Signature verification: Portcullis against `openssl speed`, same key types, same run, same machine.
#
#   bash Benchmarks/jwt-vs-openssl.sh            # OPENSSL_SECONDS=3 by default
#
# Prints, per key type (RSA 2048, P-256, P-384), OpenSSL's time per verify and two of ours (p50 of
# package-benchmark):
#   JWT.signature.X  the bare check through swift-crypto (BoringSSL underneath), and
#   JWT.verify.X     a whole JWT validation with the cache off: header and payload decoding, the
#                    algorithm-from-key rule, key lookup, signature, claims; what a new token costs
#                    the gateway (its principals drop the token's other claims).
# OpenSSL runs before and after ours; the table uses the faster of its two runs.
set -euo pipefail
cd "$(dirname "$0")"
OPENSSL_SECONDS=${OPENSSL_SECONDS:-3}

openssl_us() {  # -> "rsa2048_verify_us ecdsap256_verify_us ecdsap384_verify_us"
    openssl speed -mr -seconds "$OPENSSL_SECONDS" rsa2048 ecdsap256 ecdsap384 2>/dev/null | awk -F: '
        $1 == "+F2" && $3 == 2048 { rsa = 1e6 / $5 }
        $1 == "+F4" && $3 == 256  { ec  = 1e6 / $5 }
        $1 == "+F4" && $3 == 384  { ec384 = 1e6 / $5 }
        END { printf "%.2f %.2f %.2f\n", rsa, ec, ec384 }'
}

echo "==> openssl speed (1/2): $(openssl version)"
read -r rsa1 ec1 ec384_1 <<<"$(openssl_us)"
echo "==> package-benchmark JWTHotPath (release)"
swift package benchmark --target JWTHotPath --filter '^JWT\.(verify|signature)\.(RS256|ES256|ES384)$' --format markdown --no-progress \
    > /tmp/portcullis-jwt-bench.md 2>&1 || { cat /tmp/portcullis-jwt-bench.md; exit 1; }
echo "==> openssl speed (2/2)"
read -r rsa2 ec2 ec384_2 <<<"$(openssl_us)"

# p50 of the wall-clock row under "### NAME", in microseconds.
ours() {
    awk -v name="### $1" '
        $0 == name { found = 1; next }
        /^### / { found = 0 }
        found && /Time \(wall clock\)/ {
            split($0, cells, "|"); p50 = cells[5] + 0
            if ($0 ~ /\(ns\)/) p50 /= 1000; else if ($0 ~ /\(ms\)/) p50 *= 1000
            printf "%.2f", p50; exit
        }' /tmp/portcullis-jwt-bench.md
}
min() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (a < b ? a : b) }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }

rsa=$(min "$rsa1" "$rsa2"); ec=$(min "$ec1" "$ec2"); ec384=$(min "$ec384_1" "$ec384_2")
printf '\n| %-6s | %-16s | %-22s | %-5s | %-20s | %-5s |\n' key "openssl µs/verify" "JWT.signature µs (p50)" ratio "JWT.verify µs (p50)" ratio
printf '|%s|\n' "--------|-------------------|------------------------|-------|----------------------|------"
for row in "RS256 $rsa" "ES256 $ec" "ES384 $ec384"; do
    read -r alg base <<<"$row"
    sig=$(ours "JWT.signature.$alg"); full=$(ours "JWT.verify.$alg")
    printf '| %-6s | %17s | %22s | %5s | %20s | %5s |\n' "$alg" "$base" "$sig" "$(ratio "$sig" "$base")" "$full" "$(ratio "$full" "$base")"
done
echo
echo "openssl runs: rsa2048 $rsa1 / $rsa2 µs, ecdsap256 $ec1 / $ec2 µs, ecdsap384 $ec384_1 / $ec384_2 µs"
echo "targets (issue 20): whole validation RS256 and ES256 <= 1.2x openssl's verify, ES384 <= 1.5x"
