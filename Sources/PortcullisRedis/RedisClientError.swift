/// Why a command sent through a ``RedisClient`` got no reply.
public enum RedisClientError: Error, Equatable, Sendable, CustomStringConvertible {
    /// No connection to the server: it could not be reached lately, and the client waits before
    /// trying again (the command was not sent).
    case unavailable
    /// No reply within ``RedisClient/Configuration/commandTimeout``; the connection was closed.
    case timeout
    /// The connection closed before the reply came.
    case connectionClosed
    /// The server's bytes were not RESP; the connection was closed.
    case protocolError(RESPParseError)
    /// The server sent a reply no command was waiting for; the connection was closed.
    case unsolicitedReply
    /// The client was closed.
    case closed

    public var description: String {
        switch self {
        case .unavailable: "Redis is unavailable"
        case .timeout: "Redis did not reply in time"
        case .connectionClosed: "the connection to Redis closed"
        case .protocolError(let error): "Redis sent bytes that are not RESP: \(error)"
        case .unsolicitedReply: "Redis sent a reply no command was waiting for"
        case .closed: "the Redis client is closed"
        }
    }
}
