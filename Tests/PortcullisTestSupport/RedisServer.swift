import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A real Redis (Debian's redis-server) for a test: no persistence, on a loopback port of its
/// own, optionally with a password (`requirepass`).
package final class RedisServer: TestServer, @unchecked Sendable {
    package let port: Int
    package let password: String?
    private let folder: String
    private let process: ChildProcess
    private let logFile: String

    /// `redis://[:password@]127.0.0.1:<port>`
    package var url: String {
        "redis://" + (self.password.map { ":\($0)@" } ?? "") + "127.0.0.1:\(self.port)"
    }

    private init(port: Int, password: String?, folder: String, process: ChildProcess, logFile: String) {
        self.port = port
        self.password = password
        self.folder = folder
        self.process = process
        self.logFile = logFile
    }

    /// Starts a server; on a port taken meanwhile by another test, on another one.
    package static func start(password: String? = nil) async throws -> RedisServer {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("portcullis-redis-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        var attempt = 1
        while true {
            do {
                return try await Self.launch(port: try LoopbackSocket.freePort(), password: password, folder: folder)
            } catch let failure as ExternalTool.Failure where failure.output.contains("Address already in use") && attempt < 5 {
                attempt += 1
            }
        }
    }

    /// Starts Redis again on the same port (after ``stop()``), empty.
    package func restarted() async throws -> RedisServer {
        try await Self.launch(port: self.port, password: self.password, folder: self.folder)
    }

    private static func launch(port: Int, password: String?, folder: String) async throws -> RedisServer {
        let logFile = folder + "/redis-\(UUID().uuidString).log"
        var arguments = [
            "--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
            "--daemonize", "no", "--dir", folder, "--logfile", logFile,
        ]
        if let password { arguments += ["--requirepass", password] }
        let process = try ChildProcess("/usr/bin/redis-server", arguments: arguments)
        let server = RedisServer(port: port, password: password, folder: folder, process: process, logFile: logFile)
        // Ready when this server says so (not a connect probe: another test's server may hold the
        // port). Bounded; failing if it exits.
        for _ in 0..<500 {
            let log = (try? String(contentsOfFile: logFile, encoding: .utf8)) ?? ""
            if log.contains("Ready to accept connections"), process.isRunning {
                return server
            }
            guard process.isRunning else { break }
            try await Task.sleep(for: .milliseconds(10))
        }
        let written = (try? String(contentsOfFile: logFile, encoding: .utf8)) ?? ""
        await server.stop()
        throw ExternalTool.Failure(command: "redis-server", output: "did not start on 127.0.0.1:\(port): \(written.suffix(500))")
    }

    /// Freezes (`SIGSTOP`) or thaws (`SIGCONT`) the server: a server that accepts but never answers.
    package func pause(_ paused: Bool) {
        self.process.signal(paused ? SIGSTOP : SIGCONT)
    }

    /// Stops Redis and waits for its exit.
    package func stop() async {
        self.process.signal(SIGCONT)
        await self.process.stop(signal: SIGKILL)
    }

    /// Starts a server, runs `body`, stops it whether `body` throws or not.
    package static func run<Result: Sendable>(password: String? = nil, _ body: (RedisServer) async throws -> Result) async throws -> Result {
        try await withTestServer({ try await Self.start(password: password) }, body)
    }
}
