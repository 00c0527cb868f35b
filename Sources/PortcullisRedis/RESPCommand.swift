import NIOCore

/// A command as a client sends it: an array of bulk strings.
public struct RESPCommand: Sendable, Equatable {
    /// The command name and its arguments, as bytes.
    public var arguments: [[UInt8]]

    public init(_ arguments: [[UInt8]]) {
        self.arguments = arguments
    }

    public init(_ arguments: String...) {
        self.arguments = arguments.map { Array($0.utf8) }
    }

    public init(strings arguments: [String]) {
        self.arguments = arguments.map { Array($0.utf8) }
    }

    /// Appends the command's wire form (`*N\r\n` then `$len\r\n…\r\n` per argument) to `buffer`.
    public func write(into buffer: inout ByteBuffer) {
        buffer.writeInteger(UInt8(ascii: "*"))
        buffer.writeString(String(self.arguments.count))
        buffer.writeStaticString("\r\n")
        for argument in self.arguments {
            buffer.writeInteger(UInt8(ascii: "$"))
            buffer.writeString(String(argument.count))
            buffer.writeStaticString("\r\n")
            buffer.writeBytes(argument)
            buffer.writeStaticString("\r\n")
        }
    }
}
