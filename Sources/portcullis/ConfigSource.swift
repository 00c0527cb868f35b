import ArgumentParser
import PortcullisConfig

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Loads a configuration for a command, turning failures into the contract's exit codes.
enum ConfigSource {
    /// The file's configuration, or the embedded quickstart when `path` is `nil`.
    static func load(_ path: String?) throws -> GatewayConfig {
        guard let path else { return ConfigLoader.quickstart() }
        do {
            return try ConfigLoader.load(file: path)
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

/// Writes one line to standard error.
func printError(_ line: String) {
    var text = line
    text.append("\n")
    _ = text.withCString { write(2, $0, strlen($0)) }
}
