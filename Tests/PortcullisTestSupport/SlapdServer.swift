import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// A real OpenLDAP directory (Debian's slapd) for a test: a throw-away config and database seeded
/// from an LDIF of users and groups, listening on a loopback port.
///
/// Seeded under `dc=example,dc=com`: people `alice`/`alice123` (groups admin, staff), `bob`/`bob123`
/// (staff) and `eve`/`eve123` (no group) under `ou=people`; `groupOfNames` admin and staff and the
/// `posixGroup` developers (memberUid alice) under `ou=groups`; the service account
/// `cn=gateway,dc=example,dc=com`/`gateway-secret`.
///
/// With `tls` it also listens for `ldaps://` with that certificate and key. slapd logs its
/// connections and operations (`-d stats`) to a file the test can read (``log()``).
package final class SlapdServer: TestServer, @unchecked Sendable {
    package static let base = "dc=example,dc=com"
    package static let serviceDN = "cn=gateway,dc=example,dc=com"
    package static let servicePassword = "gateway-secret"

    /// A server certificate and its key, PEM files.
    package struct TLSFiles: Sendable {
        package var certificate: String
        package var key: String
    }

    /// A PKI for an LDAPS directory: `ldap-ca.crt` issued the server certificate, `other-ca.crt`
    /// did not.
    package static func tlsPKI() throws -> (pki: TestPKI, tls: TLSFiles) {
        let pki = try TestPKI()
        let authority = try pki.authority("ldap-ca")
        _ = try pki.authority("other-ca")
        try pki.server("slapd", issuer: authority)
        return (pki, TLSFiles(certificate: pki.path("slapd.crt"), key: pki.path("slapd.key")))
    }

    package let folder: String
    package let port: Int
    /// The `ldaps://` port, when started with TLS.
    package let tlsPort: Int?
    private let process: ChildProcess
    private let logFile: String

    package var url: String { "ldap://127.0.0.1:\(self.port)" }
    /// `ldaps://127.0.0.1:<port>` (the certificate names the address too). Not `localhost`:
    /// libldap checks a certificate for "localhost" against the machine's host name instead.
    package var tlsURL: String? { self.tlsPort.map { "ldaps://127.0.0.1:\($0)" } }

    private init(folder: String, port: Int, tlsPort: Int?, process: ChildProcess, logFile: String) {
        self.folder = folder
        self.port = port
        self.tlsPort = tlsPort
        self.process = process
        self.logFile = logFile
    }

    /// Seeds a new directory and starts slapd on it.
    package static func start(tls: TLSFiles? = nil) async throws -> SlapdServer {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("portcullis-slapd-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder + "/db", withIntermediateDirectories: true)
        try Self.config(folder: folder, tls: tls).write(toFile: folder + "/slapd.conf", atomically: true, encoding: .utf8)
        try Self.seed.write(toFile: folder + "/seed.ldif", atomically: true, encoding: .utf8)
        let added = try await ExternalTool.runAsync("/usr/sbin/slapadd", ["-f", folder + "/slapd.conf", "-l", folder + "/seed.ldif"])
        guard added.status == 0 else { throw ExternalTool.Failure(command: "slapadd", output: added.stderr) }
        // A port found free can be taken by another test before slapd binds it: try fresh ports.
        var attempt = 1
        while true {
            do {
                return try await Self.launch(folder: folder, port: try LoopbackSocket.freePort(), tlsPort: tls == nil ? nil : try LoopbackSocket.freePort())
            } catch let failure as ExternalTool.Failure where failure.output.contains("Address already in use") && attempt < 5 {
                attempt += 1
            }
        }
    }

    /// Starts slapd again on the same directory and ports (after ``stop()``), and waits (bounded)
    /// until the port accepts: under a loaded suite "slapd starting" can come before the listener
    /// takes connections. (On a port of its own, so a probe cannot meet another test's slapd.)
    package func restarted() async throws -> SlapdServer {
        let server = try await Self.launch(folder: self.folder, port: self.port, tlsPort: self.tlsPort)
        for _ in 0..<500 where !LoopbackSocket.accepts(port: self.port) {
            try await Task.sleep(for: .milliseconds(10))
        }
        return server
    }

    private static func launch(folder: String, port: Int, tlsPort: Int?) async throws -> SlapdServer {
        let logFile = folder + "/slapd-\(UUID().uuidString).log"
        guard FileManager.default.createFile(atPath: logFile, contents: nil), let log = FileHandle(forWritingAtPath: logFile) else {
            throw ExternalTool.Failure(command: "slapd", output: "cannot create \(logFile)")
        }
        defer { try? log.close() }
        var listeners = "ldap://127.0.0.1:\(port)/"
        if let tlsPort { listeners += " ldaps://127.0.0.1:\(tlsPort)/" }
        // -d keeps it in the foreground, as a child of this process; "stats" logs connections and operations.
        let process = try ChildProcess("/usr/sbin/slapd", arguments: ["-f", folder + "/slapd.conf", "-h", listeners, "-d", "stats"], standardError: .file(log))
        let server = SlapdServer(folder: folder, port: port, tlsPort: tlsPort, process: process, logFile: logFile)
        // Ready when this slapd says it has bound its listeners ("slapd starting"). Not a connect
        // probe: with tests in parallel, another test's slapd may have taken the port meanwhile and
        // would answer the probe while this one fails to bind. Bounded; failing if slapd exits.
        for _ in 0..<500 {
            if (try? server.log())?.contains("slapd starting") == true, process.isRunning {
                return server
            }
            guard process.isRunning else { break }
            try await Task.sleep(for: .milliseconds(10))
        }
        let written = (try? server.log()) ?? ""
        await server.stop()
        throw ExternalTool.Failure(command: "slapd", output: "did not start on 127.0.0.1:\(port): \(written.suffix(500))")
    }

    /// What this slapd process has logged so far (connections, binds, searches with their filters).
    package func log() throws -> String {
        try String(contentsOfFile: self.logFile, encoding: .utf8)
    }

    /// How many connections have sent a bind (readiness probes never do): every connection the
    /// gateway opens binds first, as its service account.
    package func bindingConnections() throws -> Int {
        var connections: Set<Substring> = []
        for line in try self.log().split(separator: "\n") where line.contains(" BIND dn=") {
            guard let start = line.firstRange(of: "conn=")?.upperBound else { continue }
            connections.insert(line[start...].prefix { $0.isNumber })
        }
        return connections.count
    }

    /// Stops slapd and waits for its exit. SIGKILL: the test runner's blocked SIGTERM is inherited
    /// by children; the database (LMDB) survives a kill.
    package func stop() async {
        await self.process.stop(signal: SIGKILL)
    }

    /// Starts a directory, runs `body`, stops it whether `body` throws or not.
    package static func run<Result: Sendable>(tls: TLSFiles? = nil, _ body: (SlapdServer) async throws -> Result) async throws -> Result {
        try await withTestServer({ try await Self.start(tls: tls) }, body)
    }

    private static func config(folder: String, tls: TLSFiles?) -> String {
        let tlsLines = tls.map { "TLSCertificateFile \($0.certificate)\nTLSCertificateKeyFile \($0.key)\n" } ?? ""
        return """
        include /etc/ldap/schema/core.schema
        include /etc/ldap/schema/cosine.schema
        include /etc/ldap/schema/inetorgperson.schema
        include /etc/ldap/schema/nis.schema
        \(tlsLines)pidfile \(folder)/slapd.pid
        modulepath /usr/lib/ldap
        moduleload back_mdb
        database mdb
        suffix "\(Self.base)"
        rootdn "cn=admin,\(Self.base)"
        rootpw admin-secret
        directory \(folder)/db
        maxsize 10485760
        """
    }

    private static let seed = """
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

        dn: uid=eve,ou=people,dc=example,dc=com
        objectClass: inetOrgPerson
        uid: eve
        cn: Eve
        sn: Dropper
        userPassword: eve123

        dn: cn=admin,ou=groups,dc=example,dc=com
        objectClass: groupOfNames
        cn: admin
        member: uid=alice,ou=people,dc=example,dc=com

        dn: cn=staff,ou=groups,dc=example,dc=com
        objectClass: groupOfNames
        cn: staff
        member: uid=alice,ou=people,dc=example,dc=com
        member: uid=bob,ou=people,dc=example,dc=com

        dn: cn=developers,ou=groups,dc=example,dc=com
        objectClass: posixGroup
        cn: developers
        gidNumber: 5000
        memberUid: alice

        """
}
