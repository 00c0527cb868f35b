#!/usr/bin/env bash
# Checks the module boundaries the architecture promises (docs/ARCHITECTURE.md, "Modules"), from
# the package's own description: the decision core (PortcullisAuth) and the Hummingbird middleware
# build without AsyncHTTPClient and without libldap; the core without Hummingbird's server.
set -euo pipefail
cd "$(dirname "$0")/.."
swift package describe --type json 2>/dev/null | python3 -c '
import json, sys
targets = {t["name"]: t for t in json.load(sys.stdin)["targets"]}
def closure(name):
    seen, stack = set(), [name]
    while stack:
        for dependency in targets[stack.pop()].get("target_dependencies", []):
            if dependency not in seen:
                seen.add(dependency)
                stack.append(dependency)
    products = set(targets[name].get("product_dependencies", []))
    for dependency in seen:
        products |= set(targets[dependency].get("product_dependencies", []))
    return seen | products
rules = {
    "PortcullisAuth": {"PortcullisGateway", "CLDAP", "PortcullisLDAP", "AsyncHTTPClient", "Hummingbird", "HummingbirdCore", "PortcullisClientAuth"},
    "PortcullisHummingbird": {"CLDAP", "PortcullisLDAP", "AsyncHTTPClient", "PortcullisAuthEngine"},
}
failed = False
for name, forbidden in rules.items():
    found = sorted(closure(name) & forbidden)
    if found:
        print("check-module-boundaries: " + name + " depends on " + ", ".join(found), file=sys.stderr)
        failed = True
sys.exit(1 if failed else 0)
'
echo "module boundaries: ok"
