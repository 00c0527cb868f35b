/// A real server a test starts (an OAuth2 authorization server, a directory) and must stop.
package protocol TestServer: Sendable {
    func stop() async
}

/// Starts a server, runs `body` with it, and stops it whether `body` throws or not.
package func withTestServer<Server: TestServer, Result: Sendable>(
    _ start: () async throws -> Server,
    _ body: (Server) async throws -> Result
) async throws -> Result {
    let server = try await start()
    do {
        let result = try await body(server)
        await server.stop()
        return result
    } catch {
        await server.stop()
        throw error
    }
}
