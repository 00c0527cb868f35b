import NIOConcurrencyHelpers
import NIOCore
import PortcullisAuth

/// The verified client certificate of each open TLS connection, for the request path.
///
/// A connection's certificate is parsed once, when its handshake completes, and dropped when the
/// connection closes. Requests look it up by their channel (or, for HTTP/2 streams, its parent)
/// without hopping to the event loop. Sharded locks keep lookups from different connections apart.
final class ClientCertificateRegistry: Sendable {
    private static let shardCount = 16
    private let shards: [NIOLockedValueBox<[ObjectIdentifier: ClientCertificate]>]

    init() {
        self.shards = (0..<Self.shardCount).map { _ in NIOLockedValueBox([:]) }
    }

    /// The certificate of the connection `channel` belongs to, if its client presented a verified one.
    func certificate(for channel: any Channel) -> ClientCertificate? {
        if let certificate = self.lookup(ObjectIdentifier(channel)) {
            return certificate
        }
        // HTTP/2: requests arrive on stream channels whose parent is the TLS connection.
        guard let parent = channel.parent else { return nil }
        return self.lookup(ObjectIdentifier(parent))
    }

    func store(_ certificate: ClientCertificate, for connection: ObjectIdentifier) {
        self.shard(connection).withLockedValue { $0[connection] = certificate }
    }

    func remove(_ connection: ObjectIdentifier) {
        self.shard(connection).withLockedValue { _ = $0.removeValue(forKey: connection) }
    }

    /// Open connections with a certificate, for tests.
    var count: Int {
        self.shards.reduce(0) { total, shard in total + shard.withLockedValue { $0.count } }
    }

    private func lookup(_ connection: ObjectIdentifier) -> ClientCertificate? {
        self.shard(connection).withLockedValue { $0[connection] }
    }

    private func shard(_ connection: ObjectIdentifier) -> NIOLockedValueBox<[ObjectIdentifier: ClientCertificate]> {
        self.shards[Int(UInt(bitPattern: connection.hashValue) % UInt(Self.shardCount))]
    }
}
