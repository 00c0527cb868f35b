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
    /// The file's configuration, or the embedded quickstart when `path` is `nil`, compiled as
    /// `serve` would (certificates, keys and credentials loaded and checked, nothing contacted);
    /// returns every warning found on the way.
    static func check(_ path: String?) async throws -> (config: GatewayConfig, warnings: [ConfigDiagnostic]) {
        try await self.reportingFailures {
            let config = try path.map { try ConfigLoader.load(file: $0) } ?? ConfigLoader.quickstart()
            return (config, try await Gateway.check(config: config))
        }
    }

    /// The file's configuration, or the embedded quickstart when `path` is `nil`, read and
    /// validated; the files it names are read when it is compiled.
    static func read(_ path: String?) async throws -> GatewayConfig {
        try await self.reportingFailures {
            try path.map { try ConfigLoader.load(file: $0) } ?? ConfigLoader.quickstart()
        }
    }

    /// Runs `body`; a configuration problem is printed (one `FILE:LINE: key.path: message` line
    /// each) and becomes the exit status `invalid`, an unreadable file `runtime`.
    static func reportingFailures<Result>(_ body: () async throws -> Result) async throws -> Result {
        do {
            return try await body()
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
