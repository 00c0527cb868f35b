#!/usr/bin/env bash
# The whole test suite on a fresh Debian machine: system packages, build, every test.
#
#   bash scripts/test.sh            # everything
#   bash scripts/test.sh --filter X # passes extra arguments to `swift test`
set -euo pipefail
cd "$(dirname "$0")/.."

packages=$(grep -v '^#' scripts/system-packages.txt | tr '\n' ' ')
missing=()
for package in $packages; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if ((${#missing[@]})); then
    sudo=""
    [ "$(id -u)" -ne 0 ] && sudo="sudo"
    echo "==> installing ${missing[*]}"
    $sudo apt-get update
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y --no-install-recommends "${missing[@]}"
fi

echo "==> building"
swift build --build-tests
echo "==> testing"
swift test "$@"
