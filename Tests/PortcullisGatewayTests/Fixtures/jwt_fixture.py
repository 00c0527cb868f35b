"""Independent JWT fixture for Portcullis tests: keys, certificates, trust stores and tokens made
with PyJWT and pyca/cryptography, never with Portcullis's own code.

    python jwt_fixture.py keys FOLDER          # writes keys, certificates, a trust store, jwks.json
    python jwt_fixture.py tokens FOLDER < specs.json   # prints one token per spec, as a JSON array

A spec: {"key": "rsa"|"ec"|"ed"|"rsa2"|"secret:<text>", "alg": "RS256", "claims": {...},
         "kid": "...", "raw": "none-header"|"hs-with-pem"|"tamper-payload"|...}
"""
import base64, datetime, hashlib, hmac, json, os, sys, time

import jwt
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID


def b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def write(folder, name, data):
    with open(os.path.join(folder, name), "wb") as f:
        f.write(data)


def certificate(key, name, days_valid=1, expired=False):
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.timezone.utc)
    start, end = (now - datetime.timedelta(days=3), now - datetime.timedelta(days=1)) if expired else (
        now - datetime.timedelta(hours=1), now + datetime.timedelta(days=days_valid))
    algorithm = None if isinstance(key, ed25519.Ed25519PrivateKey) else hashes.SHA256()
    return (x509.CertificateBuilder().subject_name(subject).issuer_name(subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(start).not_valid_after(end).sign(key, algorithm))


def pem_private(key):
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())


def pem_public(key):
    return key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def keys(folder):
    made = {
        "rsa": rsa.generate_private_key(public_exponent=65537, key_size=2048),
        "rsa2": rsa.generate_private_key(public_exponent=65537, key_size=2048),
        "ec": ec.generate_private_key(ec.SECP256R1()),
        "ec384": ec.generate_private_key(ec.SECP384R1()),
        "ed": ed25519.Ed25519PrivateKey.generate(),
    }
    certs = {}
    for name, key in made.items():
        write(folder, f"{name}.key", pem_private(key))
        write(folder, f"{name}.pub", pem_public(key))
        certs[name] = certificate(key, f"Portcullis test {name}")
        write(folder, f"{name}.crt", certs[name].public_bytes(serialization.Encoding.PEM))
    for name in ("rsa", "ec"):  # PKCS#1 and SEC 1, the "traditional" PEM forms
        write(folder, f"{name}-traditional.key", made[name].private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()))
    write(folder, "rsa-encrypted.key", made["rsa"].private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.BestAvailableEncryption(b"keypass")))
    write(folder, "rsa-expired.crt", certificate(made["rsa"], "expired", expired=True).public_bytes(serialization.Encoding.PEM))
    store = pkcs12.serialize_key_and_certificates(
        None, None, None,
        [pkcs12.PKCS12Certificate(certs["rsa2"], b"other"), pkcs12.PKCS12Certificate(certs["rsa"], b"signer")],
        serialization.BestAvailableEncryption(b"storepass"))
    write(folder, "truststore.p12", store)
    # A keystore of two keys (Ballerina's keyAlias picks one): "ec-signer", encrypted with its own
    # password, and "rsa-signer", with the store's.
    write(folder, "two-keys.p12", two_key_store(
        [("ec-signer", made["ec"], certs["ec"], b"keypass-ec"), ("rsa-signer", made["rsa"], certs["rsa"], b"storepass")], b"storepass"))
    jwks = []
    for name, kid in (("rsa", "rsa-1"), ("ec", "ec-1")):
        jwk = json.loads(jwt.algorithms.get_default_algorithms()["RS256" if name == "rsa" else "ES256"].to_jwk(made[name].public_key()))
        jwk["kid"] = kid
        jwk["use"] = "sig"
        jwks.append(jwk)
    jwk = json.loads(jwt.algorithms.get_default_algorithms()["RS256"].to_jwk(made["rsa2"].public_key()))
    jwk["kid"] = "rsa-2"
    write(folder, "jwks-next.json", json.dumps({"keys": jwks + [jwk]}).encode())
    write(folder, "jwks.json", json.dumps({"keys": jwks}).encode())


def der(tag, content):
    length = len(content)
    if length < 0x80:
        return bytes([tag, length]) + content
    size = (length.bit_length() + 7) // 8
    return bytes([tag, 0x80 | size]) + length.to_bytes(size, "big") + content


def der_parse(data, pos=0):
    """(tag, content, end) of the DER element at pos."""
    tag, length, pos = data[pos], data[pos + 1], pos + 2
    if length & 0x80:
        size = length & 0x7F
        length, pos = int.from_bytes(data[pos:pos + size], "big"), pos + size
    return tag, data[pos:pos + length], pos + length


def der_children(content):
    pos, items = 0, []
    while pos < len(content):
        tag, inner, end = der_parse(content, pos)
        items.append(content[pos:end])
        pos = end
    return items


def p12_kdf(password, salt, purpose, iterations, size):
    """RFC 7292 appendix B.2 with SHA-256 (u = 32, v = 64)."""
    u, v = 32, 64
    def stretch(data):  # repeated to a multiple of v bytes
        size = v * ((len(data) + v - 1) // v)
        return (data * (size // len(data) + 1))[:size] if data else b""
    secret = password.decode().encode("utf-16-be") + b"\0\0"
    block = stretch(salt) + stretch(secret)
    out = b""
    while len(out) < size:
        a = hashlib.sha256(bytes([purpose]) * v + block).digest()
        for _ in range(iterations - 1):
            a = hashlib.sha256(a).digest()
        out += a
        b = int.from_bytes((a * (v // u + 1))[:v], "big")
        block = b"".join(
            ((int.from_bytes(block[j:j + v], "big") + b + 1) % (1 << (8 * v))).to_bytes(v, "big") for j in range(0, len(block), v))
    return out[:size]


def two_key_store(entries, store_password):
    """One PKCS#12 keystore holding several keys: each exported alone by cryptography, their
    SafeContents joined into one AuthenticatedSafe, MAC'd (HMAC-SHA256) with the store password."""
    safes = []
    for name, key, cert, key_password in entries:
        single = pkcs12.serialize_key_and_certificates(name.encode(), key, cert, None, serialization.BestAvailableEncryption(key_password))
        _, pfx, _ = der_parse(single)
        _version, auth_info, _mac = der_children(pfx)
        _, info, _ = der_parse(auth_info)
        _, explicit, _ = der_parse(der_children(info)[1])
        _, octets, _ = der_parse(explicit)
        _, auth_safe, _ = der_parse(octets)
        safes += der_children(auth_safe)
    auth_safe = der(0x30, b"".join(safes))
    data_oid = der(0x06, bytes.fromhex("2a864886f70d010701"))
    content_info = der(0x30, data_oid + der(0xA0, der(0x04, auth_safe)))
    salt, iterations = os.urandom(16), 2048
    mac = hmac.new(p12_kdf(store_password, salt, 3, iterations, 32), auth_safe, hashlib.sha256).digest()
    sha256 = der(0x30, der(0x06, bytes.fromhex("608648016503040201")) + der(0x05, b""))
    mac_data = der(0x30, der(0x30, sha256 + der(0x04, mac)) + der(0x04, salt) + der(0x02, iterations.to_bytes(2, "big")))
    return der(0x30, der(0x02, b"\x03") + content_info + mac_data)


def load_key(folder, name):
    with open(os.path.join(folder, f"{name}.key"), "rb") as f:
        return serialization.load_pem_private_key(f.read(), password=None)


def token(folder, spec):
    claims = dict(spec.get("claims", {}))
    now = int(time.time())
    for name in ("exp", "nbf", "iat"):
        if isinstance(claims.get(name), str) and claims[name].startswith("now"):
            claims[name] = now + int(claims[name][3:] or 0)
    headers = {"kid": spec["kid"]} if "kid" in spec else {}
    raw = spec.get("raw")
    key_name = spec.get("key", "rsa")
    if raw == "none":
        header = {"alg": spec["alg"], "typ": "JWT"}
        return f"{b64(json.dumps(header).encode())}.{b64(json.dumps(claims).encode())}."
    if raw == "hs-with-pem":
        # The classic key-confusion attack: HMAC keyed with the verifier's public key or certificate.
        with open(os.path.join(folder, spec["pem"]), "rb") as f:
            secret = f.read()
        signing_input = f"{b64(json.dumps({'alg': 'HS256', 'typ': 'JWT', **headers}).encode())}.{b64(json.dumps(claims).encode())}"
        return f"{signing_input}.{b64(hmac.new(secret, signing_input.encode(), hashlib.sha256).digest())}"
    if raw == "nested":
        deep = {}
        for _ in range(200):
            deep = {"a": deep}
        claims["deep"] = deep
    key = spec["key"][7:].encode() if key_name.startswith("secret:") else load_key(folder, key_name)
    encoded = jwt.encode(claims, key, algorithm=spec["alg"], headers=headers or None)
    if raw == "tamper-payload":
        h, p, s = encoded.split(".")
        body = json.loads(base64.urlsafe_b64decode(p + "=" * (-len(p) % 4)))
        body["scope"] = "read write admin"
        encoded = f"{h}.{b64(json.dumps(body).encode())}.{s}"
    elif raw == "tamper-signature":
        h, p, s = encoded.split(".")
        signature = bytearray(base64.urlsafe_b64decode(s + "=" * (-len(s) % 4)))
        signature[len(signature) // 2] ^= 0x01
        encoded = f"{h}.{p}.{b64(bytes(signature))}"
    return encoded


def verify(folder, spec):
    """Checks a token made elsewhere (by `portcullis token`) the way an independent consumer would."""
    if spec["key"].startswith("secret:"):
        key = spec["key"][7:].encode()
    else:
        path = spec["key"] if os.path.isabs(spec["key"]) else os.path.join(folder, f"{spec['key']}.pub")
        with open(path, "rb") as f:
            key = f.read()
    try:
        claims = jwt.decode(
            spec["token"], key, algorithms=[spec["alg"]], audience=spec.get("audience"),
            options={"require": ["exp", "iat", "nbf"], "verify_aud": "audience" in spec},
        )
        return {"header": jwt.get_unverified_header(spec["token"]), "claims": claims}
    except Exception as error:  # the test prints the reason
        return {"error": f"{type(error).__name__}: {error}"}


if __name__ == "__main__":
    command, folder = sys.argv[1], sys.argv[2]
    if command == "keys":
        keys(folder)
    elif command == "verify":
        print(json.dumps([verify(folder, spec) for spec in json.load(sys.stdin)]))
    else:
        print(json.dumps([token(folder, spec) for spec in json.load(sys.stdin)]))
