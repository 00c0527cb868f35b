"""A real OAuth2 authorization server for the introspection tests: django-oauth-toolkit on SQLite.

    python oauth2_server.py FOLDER [--port PORT] [--tls CERT KEY]

Creates (or reuses) FOLDER/db.sqlite3, seeds it, listens on 127.0.0.1:PORT (0 picks a free port)
and prints "ready PORT" once it accepts connections. It stops on SIGTERM or when its standard input
closes (so it never outlives the test process that started it); started again on the same FOLDER and
port, it serves the same tokens.

Seeded:
- users alice/alice123 and bob/bob123;
- confidential clients (secrets stored unhashed, see STYLE.md: PBKDF2 makes every client
  authentication take ~0.2 s): `gateway`/`gateway-secret` (client_credentials),
  `password-client`/`password-secret` (password, refresh_token), `resource-server`/`resource-secret`
  (client_credentials; may ask for the `introspection` scope to introspect with a bearer token),
  `reserved+client`/`p+ss/w=rd&:%é` (client_credentials; characters RFC 6749 §2.3.1 form-encodes).

Its own endpoints (django-oauth-toolkit 3.4): /o/token/, /o/introspect/ (Basic client credentials or
a bearer token holding the `introspection` scope), /o/revoke_token/.

Test-only endpoints, outside /o/ (the fixture's, not OAuth2):
- GET /test/introspections: how many introspection requests reached the server, as a number;
- POST /test/expire with token=...: moves that access token's expiry into the past;
- GET /test/tokens: how many token requests reached the server, by grant_type, as JSON;
- GET /test/last-token-request: the last token request's form parameters (secrets left out) and
  its x-* headers, as JSON.
"""

import argparse
import os
import signal
import socketserver
import ssl
import sys
import threading
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import django
from django.conf import settings

SCOPES = {
    "read": "Read",
    "write": "Write",
    "hello": "Hello",
    "admin": "Administer",
    "introspection": "Introspect tokens",
}


def configure(folder):
    settings.configure(
        DEBUG=False,
        SECRET_KEY="portcullis-test-fixture-only",
        ALLOWED_HOSTS=["*"],
        ROOT_URLCONF=__name__,
        INSTALLED_APPS=[
            "django.contrib.contenttypes",
            "django.contrib.auth",
            "oauth2_provider",
        ],
        MIDDLEWARE=[],
        DATABASES={
            "default": {
                "ENGINE": "django.db.backends.sqlite3",
                "NAME": os.path.join(folder, "db.sqlite3"),
                # Many request threads write tokens at once.
                "OPTIONS": {"timeout": 30},
            }
        },
        # Test users only: MD5 keeps password-grant calls fast; never a production choice.
        PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
        USE_TZ=True,
        OAUTH2_PROVIDER={
            "SCOPES": SCOPES,
            "ACCESS_TOKEN_EXPIRE_SECONDS": int(os.environ.get("ACCESS_TOKEN_SECONDS", "3600")),
            "PKCE_REQUIRED": False,
        },
        LOGGING_CONFIG=None,
    )
    django.setup()


introspections = 0
introspections_lock = threading.Lock()
token_requests = {}
last_token_request = {"form": {}, "headers": {}}


def count_introspections(request):
    from django.http import HttpResponse

    with introspections_lock:
        value = introspections
    return HttpResponse(str(value), content_type="text/plain")


def last_token(request):
    import json

    from django.http import HttpResponse

    with introspections_lock:
        value = dict(last_token_request)
    return HttpResponse(json.dumps(value), content_type="application/json")


def count_tokens(request):
    import json

    from django.http import HttpResponse

    with introspections_lock:
        value = dict(token_requests)
    return HttpResponse(json.dumps(value), content_type="application/json")


def expire(request):
    import datetime
    import hashlib

    from django.http import HttpResponse, HttpResponseNotFound
    from oauth2_provider.models import AccessToken

    token = request.POST.get("token", "")
    checksum = hashlib.sha256(token.encode("utf-8")).hexdigest()
    updated = AccessToken.objects.filter(token_checksum=checksum).update(
        expires=datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(seconds=60)
    )
    return HttpResponse("expired") if updated else HttpResponseNotFound("no such token")


def urls():
    from django.urls import include, path
    from django.views.decorators.csrf import csrf_exempt

    return [
        path("o/", include("oauth2_provider.urls", namespace="oauth2_provider")),
        path("test/introspections", count_introspections),
        path("test/expire", csrf_exempt(expire)),
        path("test/tokens", count_tokens),
        path("test/last-token-request", last_token),
    ]


def seed():
    from django.contrib.auth.models import User
    from django.core.management import call_command
    from oauth2_provider.models import Application

    call_command("migrate", verbosity=0, interactive=False)
    for name, password in [("alice", "alice123"), ("bob", "bob123")]:
        if not User.objects.filter(username=name).exists():
            User.objects.create_user(username=name, password=password)
    clients = [
        ("gateway", "gateway-secret", Application.GRANT_CLIENT_CREDENTIALS),
        ("password-client", "password-secret", Application.GRANT_PASSWORD),
        ("resource-server", "resource-secret", Application.GRANT_CLIENT_CREDENTIALS),
        # Characters that a client must form-encode before Basic (RFC 6749 §2.3.1).
        ("reserved+client", "p+ss/w=rd&:%é", Application.GRANT_CLIENT_CREDENTIALS),
    ]
    for client_id, secret, grant in clients:
        if not Application.objects.filter(client_id=client_id).exists():
            Application.objects.create(
                name=client_id,
                client_id=client_id,
                client_secret=secret,
                hash_client_secret=False,
                client_type=Application.CLIENT_CONFIDENTIAL,
                authorization_grant_type=grant,
            )


class QuietHandler(WSGIRequestHandler):
    def log_message(self, format, *args):
        pass


class ThreadingWSGIServer(socketserver.ThreadingMixIn, WSGIServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 256

    def shutdown_request(self, request):
        # End TLS with close_notify, as servers should: clients (swift-nio-ssl among them) report
        # a connection closed without it as an unclean shutdown.
        if isinstance(request, ssl.SSLSocket):
            try:
                request.settimeout(2)
                request.unwrap()
            except (OSError, ValueError):
                pass
        super().shutdown_request(request)


def application():
    from django.core.wsgi import get_wsgi_application

    django_app = get_wsgi_application()

    def app(environ, start_response):
        global introspections
        path = environ.get("PATH_INFO", "")
        if path.startswith("/o/introspect"):
            with introspections_lock:
                introspections += 1
        elif path.startswith("/o/token"):
            # Read the form to count by grant type, then hand Django the same bytes.
            import io
            import urllib.parse

            length = int(environ.get("CONTENT_LENGTH") or 0)
            body = environ["wsgi.input"].read(length) if length > 0 else b""
            environ["wsgi.input"] = io.BytesIO(body)
            form = urllib.parse.parse_qs(body.decode("utf-8", "replace"))
            grant = form.get("grant_type", ["?"])[0]
            secret = {"client_secret", "password", "refresh_token"}
            with introspections_lock:
                token_requests[grant] = token_requests.get(grant, 0) + 1
                last_token_request["form"] = {k: v[0] for k, v in form.items() if k not in secret}
                last_token_request["headers"] = {
                    k[5:].lower().replace("_", "-"): v for k, v in environ.items() if k.startswith("HTTP_X_")
                }
        return django_app(environ, start_response)

    return app


def exit_when_stdin_closes():
    while sys.stdin.buffer.read(4096):
        pass
    os._exit(0)


def main():
    # A child inherits its parent's blocked signals (the Swift test runner blocks SIGTERM in its
    # threads); stopping must work whoever started the server.
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM, signal.SIGINT})
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    parser = argparse.ArgumentParser()
    parser.add_argument("folder")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--tls", nargs=2, metavar=("CERT", "KEY"))
    arguments = parser.parse_args()
    os.makedirs(arguments.folder, exist_ok=True)
    configure(arguments.folder)
    global urlpatterns
    urlpatterns = urls()
    seed()
    server = make_server(
        "127.0.0.1", arguments.port, application(), server_class=ThreadingWSGIServer, handler_class=QuietHandler
    )
    if arguments.tls:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(*arguments.tls)
        server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=exit_when_stdin_closes, daemon=True).start()
    print(f"ready {server.server_address[1]}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


urlpatterns = []

if __name__ == "__main__":
    main()
    sys.exit(0)
