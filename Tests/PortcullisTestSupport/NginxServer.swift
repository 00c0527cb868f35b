import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// A real nginx (Debian's package, with its `auth_request` module) for a test: one process in the
/// foreground (`daemon off; master_process off`), a throw-away prefix folder, a loopback port.
///
/// The test gives the `server { ... }` block's body; `PORT` in it is replaced by the port.
package final class NginxServer: TestServer, @unchecked Sendable {
    package static let executable = "/usr/sbin/nginx"

    package let port: Int
    package let folder: String
    private let process: ChildProcess

    private init(port: Int, folder: String, process: ChildProcess) {
        self.port = port
        self.folder = folder
        self.process = process
    }

    /// Writes the config and starts nginx; ready once it wrote its pid file, which nginx does
    /// after it has bound its listeners.
    package static func start(server: String, listen: String = "") async throws -> NginxServer {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("portcullis-nginx-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder + "/temp", withIntermediateDirectories: true)
        // A port found free can be taken by another test before nginx binds it: try fresh ports.
        var attempt = 1
        while true {
            let port = try LoopbackSocket.freePort()
            do {
                return try await Self.launch(folder: folder, port: port, server: server.replacingOccurrences(of: "PORT", with: String(port)), listen: listen)
            } catch let failure as ExternalTool.Failure where failure.output.contains("Address already in use") && attempt < 5 {
                attempt += 1
            }
        }
    }

    private static func launch(folder: String, port: Int, server: String, listen: String) async throws -> NginxServer {
        let config = """
            daemon off;
            master_process off;
            worker_processes 1;
            pid \(folder)/nginx.pid;
            error_log \(folder)/error.log info;
            events { worker_connections 128; }
            http {
                access_log off;
                client_body_temp_path \(folder)/temp/body;
                proxy_temp_path \(folder)/temp/proxy;
                fastcgi_temp_path \(folder)/temp/fastcgi;
                uwsgi_temp_path \(folder)/temp/uwsgi;
                scgi_temp_path \(folder)/temp/scgi;
                server {
                    listen 127.0.0.1:\(port)\(listen.isEmpty ? "" : " " + listen);
            \(server)
                }
            }
            """
        try? FileManager.default.removeItem(atPath: folder + "/nginx.pid")
        try? FileManager.default.removeItem(atPath: folder + "/error.log")
        try config.write(toFile: folder + "/nginx.conf", atomically: true, encoding: .utf8)
        // -e: the error log from the first line on, not Debian's /var/log/nginx.
        let process = try ChildProcess(Self.executable, arguments: ["-p", folder, "-e", folder + "/error.log", "-c", folder + "/nginx.conf"])
        let server = NginxServer(port: port, folder: folder, process: process)
        for _ in 0..<500 {
            if FileManager.default.fileExists(atPath: folder + "/nginx.pid"), process.isRunning {
                return server
            }
            guard process.isRunning else { break }
            try await Task.sleep(for: .milliseconds(10))
        }
        let log = (try? String(contentsOfFile: folder + "/error.log", encoding: .utf8)) ?? ""
        await server.stop()
        throw ExternalTool.Failure(command: "nginx", output: "did not start on 127.0.0.1:\(port): \(log.suffix(800))")
    }

    /// What nginx logged (its error log, at `info`).
    package func log() -> String {
        (try? String(contentsOfFile: self.folder + "/error.log", encoding: .utf8)) ?? ""
    }

    /// Stops nginx and waits for its exit (SIGKILL: the test runner's blocked SIGTERM is inherited).
    package func stop() async {
        await self.process.stop(signal: SIGKILL)
    }

    /// Starts nginx, runs `body`, stops it whether `body` throws or not.
    package static func run<Result: Sendable>(server: String, listen: String = "", _ body: (NginxServer) async throws -> Result) async throws -> Result {
        try await withTestServer({ try await Self.start(server: server, listen: listen) }, body)
    }
}
