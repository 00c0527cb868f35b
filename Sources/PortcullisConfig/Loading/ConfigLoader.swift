#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Crypto
import TOMLKit

/// Reads configuration files into validated ``GatewayConfig`` snapshots.
public enum ConfigLoader {
    /// The name used in diagnostics for the embedded quickstart configuration.
    public static let quickstartName = "<quickstart>"

    /// Reads and validates the file at `path`.
    ///
    /// - Throws: ``ConfigFileError`` when the file cannot be read, ``ConfigError`` when it is not
    ///   a valid configuration.
    public static func load(file path: String) throws -> GatewayConfig {
        try self.parse(try Self.text(of: path), file: path)
    }

    /// The file's text: it must be readable and UTF-8.
    private static func text(of path: String) throws -> String {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw ConfigFileError(file: path, reason: "cannot be read")
        }
        guard let source = String(validating: data, as: UTF8.self) else {
            throw ConfigError(diagnostics: [
                ConfigDiagnostic(file: path, line: 1, path: .root, message: "is not valid UTF-8")
            ])
        }
        return source
    }

    /// Validates a configuration held in memory; `file` is used in diagnostics.
    public static func parse(_ source: String, file: String) throws(ConfigError) -> GatewayConfig {
        let (document, lines) = try Self.document(source, file: file)
        var validator = ConfigValidator(file: file, lines: lines)
        var config = validator.validate(document)
        guard validator.errors.isEmpty else {
            throw ConfigError(diagnostics: validator.errors.sorted { ($0.line, $0.path.description) < ($1.line, $1.path.description) })
        }
        config.sourceFile = file == Self.quickstartName ? nil : file
        config.lineIndex = lines
        config.sourceHash = String(SHA256.hash(data: Array(source.utf8)).lowercaseHexadecimal.prefix(12))
        return config
    }

    /// Reads a file holding one client-auth record at its top level, as the gateway config writes
    /// it under `[service.upstreamClient.auth]` (what `portcullis loadtest --oauth2-config` takes).
    ///
    /// - Throws: ``ConfigFileError`` when the file cannot be read, ``ConfigError`` when it is not
    ///   a valid record (file, line, key).
    public static func loadClientAuth(file path: String) throws -> ClientAuthConfig {
        try self.parseClientAuth(try Self.text(of: path), file: path)
    }

    /// Validates a client-auth record held in memory; `file` is used in diagnostics.
    public static func parseClientAuth(_ source: String, file: String) throws(ConfigError) -> ClientAuthConfig {
        let (document, lines) = try Self.document(source, file: file)
        var validator = ConfigValidator(file: file, lines: lines)
        let record = validator.clientAuth(document, at: .root)
        guard let record, validator.errors.isEmpty else {
            throw ConfigError(diagnostics: validator.errors.sorted { ($0.line, $0.path.description) < ($1.line, $1.path.description) })
        }
        return record
    }

    /// The TOML document and its line index.
    private static func document(_ source: String, file: String) throws(ConfigError) -> ([String: TOMLNode], TOMLLineIndex) {
        if let (line, problem) = TOMLPreflight.problem(in: source) {
            throw ConfigError(diagnostics: [ConfigDiagnostic(file: file, line: line, path: .root, message: "TOML syntax error: \(problem)")])
        }
        let table: TOMLTable
        do {
            table = try TOMLTable(string: source)
        } catch let error as TOMLParseError {
            throw ConfigError(diagnostics: [
                ConfigDiagnostic(file: file, line: error.source.begin.line, path: .root, message: "TOML syntax error: \(error.description)")
            ])
        } catch {
            throw ConfigError(diagnostics: [ConfigDiagnostic(file: file, line: 1, path: .root, message: "TOML syntax error")])
        }
        guard case .table(let document) = TOMLNode(table) else {
            throw ConfigError(diagnostics: [ConfigDiagnostic(file: file, line: 1, path: .root, message: "is not a TOML table")])
        }
        return (document, TOMLLineIndex(source: source))
    }

    /// The embedded quickstart configuration that `portcullis serve` runs without `--config`.
    public static func quickstart() -> GatewayConfig {
        do {
            return try self.parse(Quickstart.toml, file: Self.quickstartName)
        } catch {
            preconditionFailure("the embedded quickstart configuration is invalid: \(error)")
        }
    }
}

/// A configuration file that could not be read at all.
public struct ConfigFileError: Error, Sendable, CustomStringConvertible {
    public var file: String
    public var reason: String

    public var description: String { "\(self.file): \(self.reason)" }
}
