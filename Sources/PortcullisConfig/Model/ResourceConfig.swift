/// One `[[service.resource]]`: a method and path pattern below the service's base path.
public struct ResourceConfig: Sendable, Equatable {
    /// Upper-case method names; `nil` means every method.
    public var methods: [String]?
    public var path: PathPattern
    /// `nil` inherits the service's auth; an empty array makes the resource public.
    public var auth: [AuthEntryConfig]?
    /// When set, the gateway answers itself instead of proxying.
    public var respond: RespondConfig?

    public init(methods: [String]? = nil, path: PathPattern, auth: [AuthEntryConfig]? = nil, respond: RespondConfig? = nil) {
        self.methods = methods
        self.path = path
        self.auth = auth
        self.respond = respond
    }
}
