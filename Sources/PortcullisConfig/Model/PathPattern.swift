/// A resource path below a service's base path: literal segments, `{param}` segments and an
/// optional trailing `/**` that matches any remainder (including none).
public struct PathPattern: Sendable, Equatable, CustomStringConvertible {
    public enum Segment: Sendable, Equatable {
        case literal(String)
        case parameter(String)
    }

    public var segments: [Segment]
    /// `true` when the pattern ends in `/**`.
    public var matchesRemainder: Bool

    public init(segments: [Segment], matchesRemainder: Bool = false) {
        self.segments = segments
        self.matchesRemainder = matchesRemainder
    }

    /// Parses `/a/{id}/**`; returns why not otherwise.
    public static func parse(_ text: String) -> Result<PathPattern, ConfigValueError> {
        guard text.hasPrefix("/") else { return .failure(.init("must start with /")) }
        var parts = text.split(separator: "/", omittingEmptySubsequences: false).dropFirst()
        if parts.last == "" { parts.removeLast() }
        var segments: [Segment] = []
        var remainder = false
        for (index, part) in parts.enumerated() {
            if part == "**" {
                guard index == parts.count - 1 else { return .failure(.init("\"/**\" is only allowed at the end")) }
                remainder = true
            } else if part.hasPrefix("{") && part.hasSuffix("}") && part.count > 2 {
                segments.append(.parameter(String(part.dropFirst().dropLast())))
            } else if part.isEmpty || part == "." || part == ".." || part.contains("*") || part.contains("{") || part.contains("}") {
                return .failure(.init("has an invalid segment \"\(part)\""))
            } else {
                segments.append(.literal(String(part)))
            }
        }
        return .success(PathPattern(segments: segments, matchesRemainder: remainder))
    }

    public var description: String {
        var text = self.segments.map { segment in
            switch segment {
            case .literal(let value): "/" + value
            case .parameter(let name): "/{\(name)}"
            }
        }.joined()
        if self.matchesRemainder { text += "/**" }
        return text.isEmpty ? "/" : text
    }
}
