/// A fixed answer given by the gateway itself (`respond = { status, body, contentType }`).
public struct RespondConfig: Sendable, Equatable {
    public var status: Int
    public var body: String
    public var contentType: String

    public init(status: Int = 200, body: String = "", contentType: String = "text/plain") {
        self.status = status
        self.body = body
        self.contentType = contentType
    }
}
