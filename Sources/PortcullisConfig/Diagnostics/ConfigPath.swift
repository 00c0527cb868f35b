/// A path to a value inside a configuration document, such as `service[1].auth[0].scopes`.
///
/// Paths are rendered the way users write them in TOML: dotted keys, with zero-based indices
/// for array elements and arrays of tables.
public struct ConfigPath: Hashable, Sendable, CustomStringConvertible {
    /// One step of a path.
    public enum Component: Hashable, Sendable {
        case key(String)
        case index(Int)
    }

    public private(set) var components: [Component]

    public init(_ components: [Component] = []) {
        self.components = components
    }

    /// The root of the document.
    public static let root = ConfigPath()

    public func appending(_ key: String) -> ConfigPath {
        var copy = self
        copy.components.append(.key(key))
        return copy
    }

    public func appending(index: Int) -> ConfigPath {
        var copy = self
        copy.components.append(.index(index))
        return copy
    }

    /// The path without its last component, or `nil` at the root.
    public var parent: ConfigPath? {
        guard !self.components.isEmpty else { return nil }
        return ConfigPath(Array(self.components.dropLast()))
    }

    public var description: String {
        var text = ""
        for component in self.components {
            switch component {
            case .key(let key):
                if !text.isEmpty { text += "." }
                text += Self.isBare(key) ? key : "\"\(key)\""
            case .index(let index):
                text += "[\(index)]"
            }
        }
        return text.isEmpty ? "(document)" : text
    }

    private static func isBare(_ key: String) -> Bool {
        !key.isEmpty
            && key.utf8.allSatisfy { byte in
                (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z"))
                    || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
                    || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
                    || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-")
            }
    }
}
