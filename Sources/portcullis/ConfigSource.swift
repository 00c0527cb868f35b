import ArgumentParser
import PortcullisAuth
import PortcullisConfig
import PortcullisGateway

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Loads a configuration for a command, turning failures into the contract's exit codes.
enum ConfigSource {
    /// The file's configuration, or the embedded quickstart when `path` is `nil`, with its
    /// certificates and keys (TLS and JWT) loaded and checked; returns every warning found on the way.
    static func load(_ path: String?) async throws -> (config: GatewayConfig, warnings: [ConfigDiagnostic]) {
        do {
            let config = try path.map { try ConfigLoader.load(file: $0) } ?? ConfigLoader.quickstart()
            let tls = try GatewayTLS(config: config)
            // Loading reads the JWT key files; nothing is fetched and the clients are closed again.
            let engine = try await AuthEngine.load(config: config, metrics: nil)
            await engine.shutdown()
            try await Gateway.checkUpstreamCredentials(config: config)
            return (config, config.warnings + tls.warnings + engine.warnings)
        } catch let error as ConfigError {
            for diagnostic in error.diagnostics {
                printError(diagnostic.description)
            }
            throw ExitStatus.invalid
        } catch let error as ConfigFileError {
            printError(error.description)
            throw ExitStatus.runtime
        }
    }
}

/// Writes one line to standard error, unbuffered.
func printError(_ line: String) {
    writeLine(line, to: 2)
}

/// Writes one line to standard output, unbuffered, so that scripts reading a pipe see it at once.
func printOutput(_ line: String) {
    writeLine(line, to: 1)
}

private func writeLine(_ line: String, to descriptor: Int32) {
    var bytes = Array(line.utf8)
    bytes.append(UInt8(ascii: "\n"))
    var offset = 0
    while offset < bytes.count {
        let written = bytes[offset...].withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        guard written > 0 else { return }
        offset += written
    }
}
