import DequeModule
import Logging
import PortcullisMetrics
import PortcullisAuth

/// Connections to one directory, owned by an actor: it lends each connection to one caller at a
/// time and runs libldap's blocking calls on threads of its own, one per connection, so a slow
/// directory can hold up neither the event loops, nor the cooperative pool, nor bcrypt.
///
/// - Every idle connection is bound as the service account (`connectionName`). A user's password is
///   checked with a bind on a lent connection, which is bound back as the service account before
///   it is lent again, or closed if that fails: no search ever runs under a user's identity.
/// - At most ``Settings/size`` connections exist; callers beyond that wait their turn. A connection
///   that fails with ``LDAPError/unavailable(_:)`` is closed, not returned, and the next caller
///   opens a new one: the pool recovers by itself when the directory comes back.
/// - With pooling off (`connectionPoolingEnabled = false`) a connection is closed after every use.
public actor LDAPConnectionPool {
    /// Where and how to connect.
    public struct Settings: Sendable {
        public var url: String
        public var serviceDN: String
        public var servicePassword: String
        public var connectTimeoutSeconds: Double
        public var operationTimeoutSeconds: Double
        /// PEM certificates trusted for `ldaps://`.
        public var caFile: String?
        /// `false` accepts any `ldaps://` server certificate (`secureSocket.disable`).
        public var verifyServer: Bool
        /// The most connections open at once.
        public var size: Int
        /// `false`: close each connection after use.
        public var pooling: Bool

        public init(
            url: String,
            serviceDN: String,
            servicePassword: String,
            connectTimeoutSeconds: Double = 5,
            operationTimeoutSeconds: Double = 60,
            caFile: String? = nil,
            verifyServer: Bool = true,
            size: Int = 8,
            pooling: Bool = true
        ) {
            self.url = url
            self.serviceDN = serviceDN
            self.servicePassword = servicePassword
            self.connectTimeoutSeconds = connectTimeoutSeconds
            self.operationTimeoutSeconds = operationTimeoutSeconds
            self.caFile = caFile
            self.verifyServer = verifyServer
            self.size = max(1, size)
            self.pooling = pooling
        }
    }

    private let settings: Settings
    private let threads: BlockingWorkPool
    private var idle: [Lent] = []
    private var open = 0
    private var waiting: Deque<CheckedContinuation<Lent, Never>> = []
    private(set) var mostOpen = 0
    private let metrics: IdentityProviderMetrics
    private let logger: Logger
    private var failing = false

    /// - Parameters:
    ///   - settings: where and how to connect.
    ///   - metrics: where `portcullis_idp_requests_total{kind="ldap"}` and its duration go.
    ///   - logger: told when the directory starts and stops failing.
    public init(settings: Settings, metrics: PortcullisMetrics? = nil, logger: Logger = Logger(label: "portcullis.ldap")) {
        self.settings = settings
        self.threads = BlockingWorkPool(threads: settings.size, maximumQueued: settings.size * 64)
        self.metrics = IdentityProviderMetrics(kind: "ldap", metrics: metrics)
        self.logger = logger
    }

    /// Runs `body` with a connection bound as the service account, on a pool thread.
    public func withServiceConnection<Value: Sendable>(
        _ body: @escaping @Sendable (LDAPConnection) throws(LDAPError) -> Value
    ) async throws(LDAPError) -> Value {
        try await self.lend { connection throws(LDAPError) in try body(connection) }
    }

    /// Checks `password` with a simple bind as `dn`; the connection is bound back as the service
    /// account before anyone else uses it.
    public func verifyPassword(dn: String, password: String) async throws(LDAPError) {
        let settings = self.settings
        try await self.lend { connection throws(LDAPError) in
            let outcome: LDAPError?
            do throws(LDAPError) {
                try connection.bind(dn: dn, password: password)
                outcome = nil
            } catch {
                outcome = error
            }
            // Back to the service identity; a failure here closes the connection (thrown as unavailable).
            do throws(LDAPError) {
                try connection.bind(dn: settings.serviceDN, password: settings.servicePassword)
            } catch {
                throw .unavailable("re-binding as the service account failed: \(error)")
            }
            if let outcome { throw outcome }
        }
    }

    /// Connections open now, and the most ever open at once.
    public var load: (open: Int, mostOpen: Int) { (self.open, self.mostOpen) }

    /// Closes the idle connections and stops the pool's threads; later calls are refused as
    /// unavailable.
    public func shutdown() async {
        let idle = self.idle
        self.idle = []
        self.open -= idle.count
        _ = await self.threads.run {
            for lent in idle { lent.connection = nil }
        }
        await self.threads.shutdown()
    }

    private func lend<Value: Sendable>(_ body: @escaping @Sendable (LDAPConnection) throws(LDAPError) -> Value) async throws(LDAPError) -> Value {
        let lent = await self.acquire()
        let settings = self.settings
        let start = ContinuousClock.now
        let outcome: Result<Value, LDAPError>? = await self.threads.run {
            let result = Self.use(lent, settings: settings, body)
            // Closing (ldap_unbind) also talks to the socket: do it here, not on the actor.
            if case .failure(.unavailable) = result { lent.connection = nil }
            if !settings.pooling { lent.connection = nil }
            return result
        }
        let result = outcome ?? .failure(.unavailable("too many LDAP operations waiting"))
        self.release(lent, keep: lent.connection != nil)
        self.record(result.map { _ in () }, duration: ContinuousClock.now - start)
        return try result.get()
    }

    /// Counts the round and logs when the directory starts or stops failing. A refused password is
    /// an answer like any other.
    private func record(_ result: Result<Void, LDAPError>, duration: Duration) {
        switch result {
        case .success, .failure(.invalidCredentials):
            self.metrics.record(.success, duration: duration)
            if self.failing {
                self.failing = false
                self.logger.info("LDAP directory answers again", metadata: ["url": "\(self.settings.url)"])
            }
        case .failure(let error):
            if case .unavailable = error {
                self.metrics.record(.unreachable, duration: duration)
            } else {
                self.metrics.record(.error, duration: duration)
            }
            if !self.failing {
                self.failing = true
                self.logger.warning(
                    "LDAP directory failing; credentials not cached get 503 until it answers",
                    metadata: ["url": "\(self.settings.url)", "reason": "\(error)"]
                )
            }
        }
    }

    /// Opens and binds the slot's connection if it has none, then runs `body` on it.
    private static func use<Value: Sendable>(
        _ lent: Lent,
        settings: Settings,
        _ body: (LDAPConnection) throws(LDAPError) -> Value
    ) -> Result<Value, LDAPError> {
        do throws(LDAPError) {
            let connection: LDAPConnection
            if let existing = lent.connection {
                connection = existing
            } else {
                connection = try LDAPConnection(
                    url: settings.url,
                    connectTimeoutSeconds: settings.connectTimeoutSeconds,
                    operationTimeoutSeconds: settings.operationTimeoutSeconds,
                    caFile: settings.caFile,
                    verifyServer: settings.verifyServer
                )
                do throws(LDAPError) {
                    try connection.bind(dn: settings.serviceDN, password: settings.servicePassword)
                } catch {
                    // The service account itself is refused: nobody can be looked up.
                    throw error == .invalidCredentials ? .unavailable("the directory refused connectionName's bind") : error
                }
                // Only a connection bound as the service account is ever kept.
                lent.connection = connection
            }
            return .success(try body(connection))
        } catch {
            return .failure(error)
        }
    }

    private func acquire() async -> Lent {
        if let lent = self.idle.popLast() { return lent }
        if self.open < self.settings.size {
            self.open += 1
            self.mostOpen = max(self.mostOpen, self.open)
            return Lent()
        }
        return await withCheckedContinuation { self.waiting.append($0) }
    }

    private func release(_ lent: Lent, keep: Bool) {
        let handed = keep ? lent : Lent()
        if let next = self.waiting.popFirst() {
            next.resume(returning: handed)
            return
        }
        if keep {
            self.idle.append(lent)
        } else {
            self.open -= 1
        }
    }

    /// A connection slot: lent to one caller at a time by the actor, so its (non-`Sendable`)
    /// connection is only ever used by one thread at a time. `nil` until first used.
    private final class Lent: @unchecked Sendable {
        var connection: LDAPConnection?
    }
}
