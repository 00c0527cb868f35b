/// Why bytes from a Redis server are not a RESP2 reply the client accepts. After one, the
/// connection's framing is lost and it is closed.
public enum RESPParseError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A type byte RESP2 does not have.
    case unknownType(UInt8)
    /// A length or integer line that is not a decimal number in range.
    case invalidNumber
    /// A line or a bulk string not ended by CRLF.
    case missingCRLF
    /// A simple string or error line that is not UTF-8.
    case invalidText
    /// More than the parser's limits allow: a bulk string longer than ``RESPParser/Limits/maximumBulkLength``,
    /// an array of more than ``RESPParser/Limits/maximumElements``, nesting deeper than
    /// ``RESPParser/Limits/maximumDepth`` or a line longer than ``RESPParser/Limits/maximumLineLength``.
    case tooLarge

    public var description: String {
        switch self {
        case .unknownType(let byte): "unknown RESP type byte 0x\(String(byte, radix: 16))"
        case .invalidNumber: "a RESP length or integer is not a decimal number in range"
        case .missingCRLF: "a RESP line or bulk string does not end with CRLF"
        case .invalidText: "a RESP simple string or error is not UTF-8"
        case .tooLarge: "a RESP reply exceeds the client's limits"
        }
    }
}
