/// One problem found in a configuration file, with where it is.
public struct ConfigDiagnostic: Hashable, Sendable, CustomStringConvertible {
    /// The file the problem is in, as given by the user.
    public var file: String
    /// The 1-based line of the key or table the problem is about.
    public var line: Int
    /// The key path the problem is about.
    public var path: ConfigPath
    /// What is wrong, in words that never include secret values.
    public var message: String

    public init(file: String, line: Int, path: ConfigPath, message: String) {
        self.file = file
        self.line = line
        self.path = path
        self.message = message
    }

    /// `FILE:LINE: key.path: message`, the format of `portcullis check`.
    public var description: String {
        "\(self.file):\(self.line): \(self.path): \(self.message)"
    }
}
