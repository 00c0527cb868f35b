import AsyncHTTPClient
import Foundation
import NIOSSL

/// Independent TLS clients for the gateway's listener: curl, `openssl s_client`, Python's `ssl`,
/// and async-http-client configured with the test CA.
package enum TLSClients {
    /// What an external client saw: the HTTP status (0 when no response came) and its output.
    package struct Outcome: Sendable {
        package var status: Int
        package var detail: String
    }

    /// `curl` against `url`, trusting `ca`; `extra` adds options such as `--http2` or `--cert`.
    /// The output's last line is `<status> <http_version>`.
    package static func curl(_ url: String, ca: String, _ extra: [String] = []) async throws -> (status: Int, httpVersion: String, body: String, exitCode: Int32) {
        let result = try await ExternalTool.runAsync(
            "curl",
            ["-sS", "--max-time", "20", "--cacert", ca, "-w", "\n%{http_code} %{http_version}"] + extra + [url]
        )
        var lines = result.stdout.split(separator: "\n", omittingEmptySubsequences: false)
        let last = lines.popLast().map(String.init) ?? ""
        let parts = last.split(separator: " ")
        return (
            Int(parts.first ?? "") ?? 0,
            parts.count > 1 ? String(parts[1]) : "",
            lines.joined(separator: "\n"),
            result.status
        )
    }

    /// Python's `ssl` module: one HTTP/1.1 GET over a verified TLS connection.
    package static func python(host: String = "localhost", port: Int, path: String, ca: String, cert: String? = nil, key: String? = nil) async throws -> Outcome {
        let script = """
            import http.client, ssl, sys
            context = ssl.create_default_context(cafile=sys.argv[3])
            if len(sys.argv) > 6:
                context.load_cert_chain(sys.argv[5], sys.argv[6])
            try:
                connection = http.client.HTTPSConnection(sys.argv[1], int(sys.argv[2]), context=context, timeout=20)
                connection.request("GET", sys.argv[4])
                response = connection.getresponse()
                print(response.status, connection.sock.version(), response.read().decode())
            except (ssl.SSLError, ConnectionError, OSError) as error:
                print(0, type(error).__name__, error)
            """
        var arguments = ["-c", script, host, String(port), ca, path]
        if let cert, let key {
            arguments += [cert, key]
        }
        let result = try await ExternalTool.runAsync("python3", arguments)
        let output = result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let status = Int(output.split(separator: " ").first ?? "") ?? -1
        return Outcome(status: status, detail: output + result.stderr)
    }

    /// Python's `ssl` (memory BIOs over a plain socket): sends `requests` (raw HTTP/1.1), then shuts
    /// its side — with close_notify first when `closeNotify`, else a bare FIN (a "ragged" EOF) —
    /// and reads until the server closes. Prints what was read, then `EOF` if the close came.
    package static func pythonHalfClose(port: Int, ca: String, requests: String, closeNotify: Bool) async throws -> String {
        let script = """
            import socket, ssl, sys
            context = ssl.create_default_context(cafile=sys.argv[2])
            incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
            tls = context.wrap_bio(incoming, outgoing, server_hostname="localhost")
            sock = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=20)
            def pump():
                data = outgoing.read()
                if data:
                    sock.sendall(data)
            def receive():
                data = sock.recv(65536)
                if data:
                    incoming.write(data)
                else:
                    incoming.write_eof()
                return bool(data)
            while True:
                try:
                    tls.do_handshake()
                    break
                except ssl.SSLWantReadError:
                    pump()
                    receive()
            pump()
            tls.write(sys.argv[3].encode().decode("unicode_escape").encode())
            pump()
            if sys.argv[4] == "notify":
                try:
                    tls.unwrap()
                except ssl.SSLWantReadError:
                    pass
                pump()
            sock.shutdown(socket.SHUT_WR)
            answer = b""
            closed = False
            while not closed:
                more = receive()
                while True:
                    try:
                        chunk = tls.read(65536)
                    except ssl.SSLWantReadError:
                        break
                    except (ssl.SSLZeroReturnError, ssl.SSLEOFError):
                        closed = True
                        break
                    if not chunk:
                        closed = True
                        break
                    answer += chunk
                if not more:
                    closed = True
            sys.stdout.write(answer.decode() + "\\nEOF\\n")
            """
        let result = try await ExternalTool.runAsync(
            "python3", ["-c", script, String(port), ca, requests.replacingOccurrences(of: "\r\n", with: "\\r\\n"), closeNotify ? "notify" : "fin"]
        )
        return result.stdout + result.stderr
    }

    /// `openssl s_client` sending one HTTP/1.1 request; `status` is 0 when no HTTP response came back.
    package static func sClient(port: Int, path: String, ca: String, _ extra: [String] = []) async throws -> Outcome {
        let request = "GET \(path) HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
        let result = try await ExternalTool.runAsync(
            "openssl",
            ["s_client", "-connect", "127.0.0.1:\(port)", "-servername", "localhost", "-CAfile", ca, "-quiet", "-ign_eof"] + extra,
            input: request
        )
        var status = 0
        if let line = result.stdout.split(separator: "\r\n").first, line.hasPrefix("HTTP/1.1 ") {
            status = Int(line.dropFirst(9).prefix(3)) ?? 0
        }
        return Outcome(status: status, detail: result.stdout + result.stderr)
    }

    /// An async-http-client trusting only `ca`, presenting `cert`/`key` when given.
    package static func httpClient(ca: String, cert: String? = nil, key: String? = nil) throws -> HTTPClient {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(ca))
        if let cert, let key {
            tls.certificateChain = try NIOSSLCertificate.fromPEMFile(cert).map { .certificate($0) }
            tls.privateKey = .privateKey(try NIOSSLPrivateKey(file: key, format: .pem))
        }
        var configuration = HTTPClient.Configuration()
        configuration.tlsConfiguration = tls
        configuration.redirectConfiguration = .disallow
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    /// Runs `body`, then shuts `clients` down whether it threw or not.
    package static func shuttingDown(_ clients: [HTTPClient], _ body: () async throws -> Void) async throws {
        do {
            try await body()
        } catch {
            for client in clients { try? await client.shutdown() }
            throw error
        }
        for client in clients { try await client.shutdown() }
    }
}
