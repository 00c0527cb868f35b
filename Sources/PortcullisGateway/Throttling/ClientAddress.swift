import NIOHTTP1
import PortcullisConfig

/// The address a request is throttled by: the peer's, or, when the peer is a trusted proxy, the
/// right-most `X-Forwarded-For` entry that is not a trusted proxy itself (the left-most entries
/// are whatever the client wrote, and a client can write anything there).
enum ClientAddress {
    static func resolve(peer: String?, headers: HTTPHeaders, trusted: [AddressBlock]) -> String {
        let peer = peer ?? "unknown"
        guard !trusted.isEmpty, Self.isTrusted(peer, trusted) else { return peer }
        var hops: [Substring] = []
        for value in headers["x-forwarded-for"] {
            hops += value.split(separator: ",").map { $0.trimmingSpaces() }
        }
        for hop in hops.reversed() where !hop.isEmpty {
            let address = String(hop)
            guard AddressBlock.bytes(of: address) != nil else { return peer }  // garbage: believe nothing
            if !Self.isTrusted(address, trusted) { return address }
        }
        return hops.first.map(String.init) ?? peer
    }

    private static func isTrusted(_ address: String, _ trusted: [AddressBlock]) -> Bool {
        trusted.contains { $0.contains(address) }
    }
}
