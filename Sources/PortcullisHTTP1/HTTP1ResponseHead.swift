import NIOHTTP1

/// A response head as ``HTTP1ResponseParser`` read it: the status line's parts and the field
/// lines as they were received (``HTTP1FieldBlock``), with no string made per field.
public struct HTTP1ResponseHead: Sendable {
    public var version: HTTPVersion
    public var status: HTTPResponseStatus
    public var fields: HTTP1FieldBlock
    /// Whether the fields include a `content-length`.
    public var hasContentLength: Bool

    public init(version: HTTPVersion, status: HTTPResponseStatus, fields: HTTP1FieldBlock, hasContentLength: Bool) {
        self.version = version
        self.status = status
        self.fields = fields
        self.hasContentLength = hasContentLength
    }

    /// The fields as `HTTPHeaders` (two strings per field, made on each call).
    public var headers: HTTPHeaders { self.fields.headers }
}
