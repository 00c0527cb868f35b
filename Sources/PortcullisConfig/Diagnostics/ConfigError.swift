/// A configuration that cannot be used, with every problem found in it.
public struct ConfigError: Error, Sendable, CustomStringConvertible {
    /// Every problem, in document order.
    public var diagnostics: [ConfigDiagnostic]

    public init(diagnostics: [ConfigDiagnostic]) {
        self.diagnostics = diagnostics
    }

    /// One line per problem, each `FILE:LINE: key.path: message`.
    public var description: String {
        self.diagnostics.map(\.description).joined(separator: "\n")
    }
}
