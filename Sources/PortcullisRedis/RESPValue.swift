/// One RESP2 value, as a Redis server replies (https://redis.io/docs/latest/develop/reference/protocol-spec/).
///
/// Only what RESP2 has: the client never asks for RESP3 (`HELLO 3`), so a server never sends
/// RESP3's other types to it.
public enum RESPValue: Sendable, Equatable {
    /// `+OK\r\n`
    case simpleString(String)
    /// `-ERR message\r\n`: the command failed; the connection goes on.
    case error(String)
    /// `:42\r\n`
    case integer(Int64)
    /// `$3\r\nfoo\r\n`; `nil` for the null bulk string `$-1\r\n`.
    case bulkString([UInt8]?)
    /// `*2\r\n…`; `nil` for the null array `*-1\r\n`.
    case array([RESPValue]?)

    /// The value as an integer, when it is one.
    public var integer: Int64? {
        if case .integer(let value) = self { return value }
        return nil
    }
}
