/// Where a value was written: its file, line and key path.
///
/// Values whose problems can only be found after validation (a certificate that does not parse, a
/// key that does not match its certificate) carry their location, so those problems are reported
/// the same way as validation errors.
public struct ConfigLocation: Hashable, Sendable {
    public var file: String
    public var line: Int
    public var path: ConfigPath

    public init(file: String, line: Int, path: ConfigPath) {
        self.file = file
        self.line = line
        self.path = path
    }

    /// A diagnostic about the value at this location.
    public func diagnostic(_ message: String) -> ConfigDiagnostic {
        ConfigDiagnostic(file: self.file, line: self.line, path: self.path, message: message)
    }
}
