#!/usr/bin/env bash
# The gateway on a fresh Debian machine: the one system package the build needs (libldap-dev, for the
# LDAP user store), then `swift run portcullis serve` with any arguments given (none: the embedded
# quickstart config).
#
#   bash scripts/serve.sh                          # http://127.0.0.1:9090/hello
#   bash scripts/serve.sh --config portcullis.toml
set -euo pipefail
cd "$(dirname "$0")/.."

if ! dpkg-query -W -f='${Status}' libldap-dev 2>/dev/null | grep -q "install ok installed"; then
    sudo=""
    [ "$(id -u)" -ne 0 ] && sudo="sudo"
    echo "==> installing libldap-dev"
    $sudo apt-get update
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y --no-install-recommends libldap-dev
fi
exec swift run portcullis serve "$@"
