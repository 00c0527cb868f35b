import Benchmark
import BenchmarkSupport
import Foundation
import PortcullisAuth
import PortcullisLDAP

#if canImport(Glibc)
import Glibc
#endif

/// The LDAP user store against a real slapd on loopback (`Benchmarks/ldap/slapd.sh`, started for
/// each benchmark and stopped after it): a cold authentication (the service account's user search,
/// the user's bind, the bind back as the service account, the group search: four round trips on a
/// pooled connection) against a cached one (a keyed hash and one shard lock), both through the
/// policy as a request would go.
let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .portcullis(scalingFactor: .one, maxDuration: .seconds(3), maxIterations: 2_000)
    let alice = "Basic " + Data("alice:alice123".utf8).base64EncodedString()

    Benchmark("Auth.ldap.cold", closure: { benchmark in
        let policy = AuthPolicy(entries: [AuthEntry(authenticator: LDAPFixture.store(cacheCapacity: 0), scopes: ["hello"])])
        guard await policy.evaluate(AuthRequest(authorization: alice)).outcome == .allowed else { fatalError("alice was not allowed") }
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            blackHole(await policy.evaluate(AuthRequest(authorization: alice)))
        }
    }, setup: { try await LDAPFixture.directory.start() }, teardown: { LDAPFixture.directory.stop() })

    Benchmark("Auth.ldap.cacheHit", configuration: .init(scalingFactor: .kilo, maxIterations: 1_000), closure: { benchmark in
        let policy = AuthPolicy(entries: [AuthEntry(authenticator: LDAPFixture.store(cacheCapacity: 10_000), scopes: ["hello"])])
        guard await policy.evaluate(AuthRequest(authorization: alice)).outcome == .allowed else { fatalError("alice was not allowed") }
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            blackHole(await policy.evaluate(AuthRequest(authorization: alice)))
        }
    }, setup: { try await LDAPFixture.directory.start() }, teardown: { LDAPFixture.directory.stop() })
}

enum LDAPFixture {
    static let directory = Directory()

    static func store(cacheCapacity: Int) -> LDAPUserStore {
        let pool = LDAPConnectionPool(
            settings: .init(
                url: "ldap://127.0.0.1:\(Self.directory.port)",
                serviceDN: "cn=gateway,dc=example,dc=com",
                servicePassword: "gateway-secret",
                operationTimeoutSeconds: 5,
                size: 2
            )
        )
        return LDAPUserStore(
            pool: pool,
            settings: .init(
                userSearchBases: ["ou=people,dc=example,dc=com"],
                userNameSearchFilter: "(&(objectClass=inetOrgPerson)(uid=?))",
                groupSearchBases: ["ou=groups,dc=example,dc=com"],
                cache: .init(capacity: cacheCapacity)
            )
        )
    }

    /// slapd through `Benchmarks/ldap/slapd.sh` on `LDAP_BENCH_PORT` (default 18389).
    final class Directory: @unchecked Sendable {
        let port = Int(ProcessInfo.processInfo.environment["LDAP_BENCH_PORT"] ?? "") ?? 18389
        private var process: Process?
        private var folder: String?

        func start() async throws {
            let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
                .appendingPathComponent("../../ldap/slapd.sh").standardized.path
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("portcullis-bench-slapd-\(UUID().uuidString)").path
            let process = Process()
            let output = Pipe()
            process.executableURL = URL(fileURLWithPath: "/bin/bash")
            process.arguments = [script, folder, "\(self.port)"]
            process.standardOutput = output
            try process.run()
            self.process = process
            self.folder = folder
            // One line: "ready", or nothing if it failed (its error is on our standard error).
            let line = String(decoding: output.fileHandleForReading.availableData, as: UTF8.self)
            guard line.hasPrefix("ready") else {
                self.stop()
                throw CocoaError(.fileReadUnknown, userInfo: [NSLocalizedDescriptionKey: "slapd did not start on port \(self.port)"])
            }
        }

        func stop() {
            if let folder, let pid = try? String(contentsOfFile: folder + "/slapd.pid", encoding: .utf8), let number = Int32(pid.trimmingCharacters(in: .whitespacesAndNewlines)) {
                kill(number, SIGKILL)
            }
            self.process?.terminate()
            self.process?.waitUntilExit()
            if let folder { try? FileManager.default.removeItem(atPath: folder) }
            self.process = nil
            self.folder = nil
        }
    }
}
