/// The `[accessLog]` table: one line per request, off unless the table is present.
public struct AccessLogConfig: Sendable, Equatable {
    /// How each line is written.
    public enum Format: String, Sendable, Equatable, CaseIterable {
        /// One JSON object per line (`time`, `client`, `method`, `path`, `status`, ...).
        case json
        /// `key=value` pairs, for people reading a terminal.
        case text
    }

    public var format: Format
    /// The file lines are appended to (reopened on SIGHUP, for logrotate); `nil` writes to
    /// standard error.
    public var path: String?

    public init(format: Format = .json, path: String? = nil) {
        self.format = format
        self.path = path
    }
}
