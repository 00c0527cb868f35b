/// The configuration `portcullis serve` runs when no `--config` is given.
///
/// `GET /hello` answers `Hello, World!` to `alice`/`alice123` (scope `hello`); `bob`/`bob123`
/// authenticates but lacks the scope. The passwords are bcrypt hashes (cost 10). A bearer JWT
/// signed with ``QuickstartDevelopmentKey`` (what `portcullis token` makes by default) is the
/// other way in; it needs `scope` to hold `hello`.
enum Quickstart {
    static let toml = #"""
        [listener]
        host = "127.0.0.1"
        port = 9090

        [metrics]
        host = "127.0.0.1"
        port = 9797
        path = "/metrics"

        [[ballerina.auth.users]]
        username = "alice"
        password = "$2y$10$pFzW.epJlORvoehp41EbzewlAwaQZhbJMCosCJkqp36ioDrJDav32"
        scopes = ["hello"]

        [[ballerina.auth.users]]
        username = "bob"
        password = "$2y$10$R0uaQ2RuNc8iYMotNbdwl.CopJ5jQ/nKgMO/IF/HTDnWwqypLfHEm"

        [[service]]
        name = "quickstart"
        basePath = "/"

          [[service.auth]]
          fileUserStoreConfig = {}
          scopes = ["hello"]

          [[service.auth]]
          scopes = ["hello"]
            [service.auth.jwtValidatorConfig]
            issuer = "\#(QuickstartDevelopmentKey.issuer)"
            [service.auth.jwtValidatorConfig.signatureConfig]
            publicKey = """
        \#(QuickstartDevelopmentKey.publicKeyPEM)
        """

          [[service.resource]]
          methods = ["GET"]
          path = "/hello"
          respond = { status = 200, body = "Hello, World!", contentType = "text/plain" }
        """#
}
