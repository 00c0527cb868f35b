#!/usr/bin/env bash
# A throw-away OpenLDAP directory for the LDAP benchmarks, in the foreground until killed:
#
#   bash Benchmarks/ldap/slapd.sh FOLDER PORT
#
# Seeded under dc=example,dc=com: the service account cn=gateway,dc=example,dc=com / gateway-secret,
# and users alice / alice123 (groupOfNames hello and staff) and bob / bob123 (staff) under ou=people.
# With USERS="w:500 u:9000", also users w0…w499 and u0…u8999 (password pw<i>, in hello and staff).
# Prints "ready" on standard output once it accepts connections. Nothing outside FOLDER is touched.
set -euo pipefail
folder=$1 port=$2
mkdir -p "$folder/db"
cat > "$folder/slapd.conf" <<CONF
include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
pidfile $folder/slapd.pid
modulepath /usr/lib/ldap
moduleload back_mdb
database mdb
suffix "dc=example,dc=com"
rootdn "cn=admin,dc=example,dc=com"
rootpw admin-secret
directory $folder/db
maxsize 10485760
index uid eq
index member eq
CONF
cat > "$folder/seed.ldif" <<'LDIF'
dn: dc=example,dc=com
objectClass: dcObject
objectClass: organization
o: Example
dc: example

dn: cn=gateway,dc=example,dc=com
objectClass: applicationProcess
objectClass: simpleSecurityObject
cn: gateway
userPassword: gateway-secret

dn: ou=people,dc=example,dc=com
objectClass: organizationalUnit
ou: people

dn: ou=groups,dc=example,dc=com
objectClass: organizationalUnit
ou: groups

dn: uid=alice,ou=people,dc=example,dc=com
objectClass: inetOrgPerson
uid: alice
cn: Alice
sn: Liddell
userPassword: alice123

dn: uid=bob,ou=people,dc=example,dc=com
objectClass: inetOrgPerson
uid: bob
cn: Bob
sn: Builder
userPassword: bob123

dn: cn=hello,ou=groups,dc=example,dc=com
objectClass: groupOfNames
cn: hello
member: uid=alice,ou=people,dc=example,dc=com

dn: cn=staff,ou=groups,dc=example,dc=com
objectClass: groupOfNames
cn: staff
member: uid=alice,ou=people,dc=example,dc=com
member: uid=bob,ou=people,dc=example,dc=com
LDIF
if [ -n "${USERS:-}" ]; then
    python3 - "$folder/seed.ldif" $USERS <<'PY'
import sys
path, specs = sys.argv[1], [spec.split(":") for spec in sys.argv[2:]]
names = [f"{prefix}{i}" for prefix, count in specs for i in range(int(count))]
with open(path) as seed:
    text = seed.read()
members = "".join(f"member: uid={name},ou=people,dc=example,dc=com\n" for name in names)
text = text.replace("member: uid=alice,ou=people,dc=example,dc=com\n", "member: uid=alice,ou=people,dc=example,dc=com\n" + members)
people = "".join(f"\ndn: uid={name},ou=people,dc=example,dc=com\nobjectClass: inetOrgPerson\nuid: {name}\ncn: {name}\nsn: {name}\nuserPassword: pw{name.lstrip('wu')}\n" for name in names)
with open(path, "w") as seed:
    seed.write(text.replace("\ndn: cn=hello,", people + "\ndn: cn=hello,", 1))
PY
fi
if [ ! -e "$folder/db/data.mdb" ]; then
    /usr/sbin/slapadd -f "$folder/slapd.conf" -l "$folder/seed.ldif" >/dev/null 2>&1 ||
        { echo "error: slapadd failed" >&2; exit 1; }
fi
/usr/sbin/slapd -f "$folder/slapd.conf" -h "ldap://127.0.0.1:$port/" -d 0 >/dev/null 2>&1 &
slapd=$!
trap 'kill $slapd 2>/dev/null || true' EXIT TERM INT
for _ in $(seq 1 200); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then echo ready; wait $slapd; exit $?; fi
    kill -0 $slapd 2>/dev/null || { echo "error: slapd exited" >&2; exit 1; }
    sleep 0.05
done
echo "error: slapd did not accept connections on 127.0.0.1:$port" >&2
exit 1
