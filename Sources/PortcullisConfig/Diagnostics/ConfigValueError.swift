/// Why a single configuration value is not valid, before it is placed at a path and line.
public struct ConfigValueError: Error, Sendable, Equatable {
    public var message: String

    public init(_ message: String) {
        self.message = message
    }
}
