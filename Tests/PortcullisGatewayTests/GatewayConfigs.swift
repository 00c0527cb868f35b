/// Configurations shared by the live gateway tests. `UPSTREAM` is replaced by the test upstream.
enum GatewayConfigs {
    /// A gateway on free ports with metrics and one service at `/api` that forwards identity to
    /// the upstream; `body` is the rest of the service (its auth entries, its upstreamClient).
    static func apiService(_ body: String) -> String {
        """
        [listener]
        port = 0
        [metrics]
        port = 0
        [[service]]
        basePath = "/api"
        upstream = "UPSTREAM"
        forwardIdentity = true
        \(body)
        """
    }

    /// alice (write, update), bob (read), eve (no scopes); passwords are the user name + "123".
    static let users = """
        [[ballerina.auth.users]]
        username = "alice"
        password = "@sha256:4e40e8ffe0ee32fa53e139147ed559229a5930f89c2204706fc174beb36210b3"
        scopes = ["write", "update"]

        [[ballerina.auth.users]]
        username = "bob"
        password = "@sha512:39845272484e7ec931e6b77b1b28f267c4e79606e060f5fa3daf3a7046e24e81817c03902608734facff5bdadc3a85ffa96bfb1f6df67a6eb394d44591488955"
        scopes = ["read"]

        [[ballerina.auth.users]]
        username = "eve"
        password = "$2y$04$h9Yd89wnxX3DVLA4Pz1rT.SovWCNQq.Nvlz045GXCnyG6gZKHxq4."
        """

    static let gateway = """
        [listener]
        port = 0
        shutdownTimeoutSeconds = 5

        [metrics]
        port = 0

        \(users)

        [[service]]
        name = "api"
        basePath = "/api"
        upstream = "UPSTREAM"
        forwardIdentity = true
          [[service.auth]]
          fileUserStoreConfig = {}
          scopes = ["write"]

        [[service]]
        name = "hidden"
        basePath = "/api/hidden"
        upstream = "UPSTREAM"
        hideCredentials = true
          [[service.auth]]
          fileUserStoreConfig = {}

        [[service]]
        name = "shop"
        basePath = "/shop"
        upstream = "UPSTREAM"
          [[service.auth]]
          fileUserStoreConfig = {}
          scopes = ["read"]

          [[service.resource]]
          path = "/public/**"
          auth = []

          [[service.resource]]
          methods = ["GET"]
          path = "/items/{id}"

          [[service.resource]]
          methods = ["POST"]
          path = "/items/{id}"
          auth = [{ fileUserStoreConfig = {}, scopes = ["write"] }]

          [[service.resource]]
          methods = ["GET"]
          path = "/hello"
          respond = { status = 200, body = "Hello, World!", contentType = "text/plain; charset=utf-8" }

        [[service]]
        name = "open"
        basePath = "/open"
        upstream = "UPSTREAM"

        [[service]]
        name = "held"
        basePath = "/hold"
        upstream = "UPSTREAM"

        [[service]]
        name = "slow"
        basePath = "/timeout"
        upstream = "UPSTREAM/hold"
          [service.upstreamClient]
          timeoutSeconds = 2

        [[service]]
        name = "prefixed"
        basePath = "/prefixed"
        upstream = "UPSTREAM/hold"

        [[service]]
        name = "bytes"
        basePath = "/bytes"
        upstream = "UPSTREAM"

        [[service]]
        name = "redirect"
        basePath = "/redirect"
        upstream = "UPSTREAM"

        [[service]]
        name = "down"
        basePath = "/down"
        upstream = "DOWN"
        """
}
