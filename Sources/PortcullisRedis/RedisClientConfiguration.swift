import NIOCore

/// Where a ``RedisClient`` connects and how long it waits.
public struct RedisClientConfiguration: Sendable, Hashable, CustomStringConvertible {
    public var host: String
    public var port: Int
    /// The ACL user (Redis 6 and later) for `AUTH`; `nil` with a password: the default user.
    public var username: String?
    /// The password for `AUTH`; `nil`: no `AUTH`.
    public var password: String?
    /// The database `SELECT`ed after connecting.
    public var database: Int
    /// How long a connection attempt may take.
    public var connectTimeout: TimeAmount
    /// How long a command may wait for its reply (and for the connection it is queued behind);
    /// past it, the command fails and a connection that did not answer is closed.
    public var commandTimeout: TimeAmount
    /// How long the client waits before connecting again after a failure: the lower bound first,
    /// doubling after each further failure up to the upper bound. Commands fail at once meanwhile.
    public var reconnectPause: ClosedRange<TimeAmount>

    public init(
        host: String,
        port: Int = 6379,
        username: String? = nil,
        password: String? = nil,
        database: Int = 0,
        connectTimeout: TimeAmount = .seconds(1),
        commandTimeout: TimeAmount = .milliseconds(50),
        reconnectPause: ClosedRange<TimeAmount> = .milliseconds(200) ... .seconds(5)
    ) {
        self.host = host
        self.port = port
        self.username = username
        self.password = password
        self.database = database
        self.connectTimeout = connectTimeout
        self.commandTimeout = commandTimeout
        self.reconnectPause = reconnectPause
    }

    /// `redis://host:port/db`, never the credentials.
    public var description: String {
        let host = self.host.contains(":") ? "[\(self.host)]" : self.host
        return "redis://\(host):\(self.port)/\(self.database)"
    }
}
