/// The segments of a request path, checked for tricks that would let an upstream see a
/// different path than the gateway matched.
struct RequestPath {
    /// The path's segments, raw (still percent-encoded), without a trailing empty segment.
    let segments: [Substring]

    enum Problem: Error {
        /// Not an origin-form path (`/...`).
        case notOriginForm
        /// A `.` or `..` segment, plain or percent-encoded, or an encoded `/` or `\`.
        case ambiguousSegment
    }

    /// Splits the path part of a request target (the query is ignored).
    init(target: String) throws(Problem) {
        let path = target.utf8.firstIndex(of: UInt8(ascii: "?")).map { target[..<$0] } ?? Substring(target)
        guard path.hasPrefix("/") else { throw .notOriginForm }
        var segments = path.dropFirst().split(separator: "/", omittingEmptySubsequences: false)
        if segments.last?.isEmpty == true { segments.removeLast() }
        for segment in segments where Self.isAmbiguous(segment) {
            throw .ambiguousSegment
        }
        self.segments = segments
    }

    private static func isAmbiguous(_ segment: Substring) -> Bool {
        if segment == "." || segment == ".." { return true }
        guard segment.contains("%") || segment.contains("\\") else { return false }
        let lowered = segment.lowercased()
        if lowered.contains("%2f") || lowered.contains("%5c") || lowered.contains("\\") { return true }
        let decodedDots = lowered.replacingOccurrences(of: "%2e", with: ".")
        return decodedDots == "." || decodedDots == ".."
    }
}

extension String {
    fileprivate func replacingOccurrences(of target: String, with replacement: String) -> String {
        var result = ""
        var rest = Substring(self)
        while let range = rest.firstRange(of: target) {
            result += rest[..<range.lowerBound]
            result += replacement
            rest = rest[range.upperBound...]
        }
        return result + rest
    }
}
