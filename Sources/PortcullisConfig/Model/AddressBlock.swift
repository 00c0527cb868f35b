/// An IPv4 or IPv6 address block in CIDR notation (`10.0.0.0/8`, `fd00::/8`, or one address).
public struct AddressBlock: Sendable, Hashable, CustomStringConvertible {
    /// The network's bytes (4 or 16).
    public let network: [UInt8]
    public let prefixLength: Int

    /// Parses `10.0.0.0/8`, `192.0.2.7` (a /32), `2001:db8::/32` or `::1`.
    public static func parse(_ text: String) -> Result<AddressBlock, ConfigValueError> {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count <= 2, let address = Self.bytes(of: String(parts[0])) else {
            return .failure(ConfigValueError("is not an IPv4 or IPv6 address block (a.b.c.d/n or x::y/n)"))
        }
        let maximum = address.count * 8
        var length = maximum
        if parts.count == 2 {
            guard let parsed = Int(parts[1]), (0...maximum).contains(parsed), parts[1].allSatisfy(\.isNumber) else {
                return .failure(ConfigValueError("has a prefix length outside 0...\(maximum)"))
            }
            length = parsed
        }
        var network = address
        for index in 0..<network.count {
            let kept = max(0, min(8, length - index * 8))
            network[index] &= kept == 8 ? 0xFF : UInt8(truncatingIfNeeded: 0xFF00 >> kept)
        }
        return .success(AddressBlock(network: network, prefixLength: length))
    }

    /// Whether `address` (text) is in this block; an address of the other family never is.
    public func contains(_ address: String) -> Bool {
        guard let bytes = Self.bytes(of: address), bytes.count == self.network.count else { return false }
        var remaining = self.prefixLength
        for index in 0..<bytes.count where remaining > 0 {
            let bits = min(8, remaining)
            let mask = bits == 8 ? UInt8(0xFF) : UInt8(truncatingIfNeeded: 0xFF00 >> bits)
            if bytes[index] & mask != self.network[index] { return false }
            remaining -= bits
        }
        return true
    }

    public var description: String {
        if self.network.count == 4 {
            return self.network.map(String.init).joined(separator: ".") + "/\(self.prefixLength)"
        }
        var groups: [String] = []
        for index in stride(from: 0, to: 16, by: 2) {
            groups.append(String(UInt16(self.network[index]) << 8 | UInt16(self.network[index + 1]), radix: 16))
        }
        return groups.joined(separator: ":") + "/\(self.prefixLength)"
    }

    /// The bytes of a textual IPv4 or IPv6 address (no zone), or `nil`.
    public static func bytes(of text: String) -> [UInt8]? {
        if text.contains(":") {
            return Self.ipv6(text)
        }
        let octets = text.split(separator: ".", omittingEmptySubsequences: false)
        guard octets.count == 4 else { return nil }
        var bytes: [UInt8] = []
        for octet in octets {
            guard !octet.isEmpty, octet.count <= 3, octet.allSatisfy(\.isNumber), let value = UInt8(octet) else { return nil }
            bytes.append(value)
        }
        return bytes
    }

    private static func ipv6(_ text: String) -> [UInt8]? {
        let gaps = text.ranges(of: "::")
        guard gaps.count <= 1 else { return nil }
        let halves = gaps.first.map { [String(text[..<$0.lowerBound]), String(text[$0.upperBound...])] } ?? [text]
        func groups(_ part: String) -> [UInt16]? {
            guard !part.isEmpty else { return [] }
            var values: [UInt16] = []
            let pieces = part.split(separator: ":", omittingEmptySubsequences: false)
            for (index, piece) in pieces.enumerated() {
                if index == pieces.count - 1, piece.contains("."), let v4 = Self.bytes(of: String(piece)), v4.count == 4 {
                    values.append(UInt16(v4[0]) << 8 | UInt16(v4[1]))
                    values.append(UInt16(v4[2]) << 8 | UInt16(v4[3]))
                    continue
                }
                guard !piece.isEmpty, piece.count <= 4, let value = UInt16(piece, radix: 16) else { return nil }
                values.append(value)
            }
            return values
        }
        guard let head = groups(halves[0]) else { return nil }
        var all = head
        if halves.count == 2 {
            guard let tail = groups(halves[1]), head.count + tail.count < 8 else { return nil }
            all += Array(repeating: 0, count: 8 - head.count - tail.count) + tail
        }
        guard all.count == 8 else { return nil }
        return all.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xFF)] }
    }
}
