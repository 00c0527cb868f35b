import Logging
import NIOCore
import NIOPosix

/// A connection to one Redis server, used from one event loop: commands are pipelined on it and
/// replies matched in order, with a bounded wait.
///
/// Made for callers that have an answer of their own when Redis has none (a local rate limit,
/// a cache): a command never waits longer than ``RedisClientConfiguration/commandTimeout``, and
/// while the server is unreachable commands fail at once (``RedisClientError/unavailable``)
/// instead of queueing. The client connects on the first command, reconnects after a loss with a
/// growing pause (``RedisClientConfiguration/reconnectPause``: from 0.2 s, doubling, to 5 s) and
/// authenticates and selects the database on each new connection.
///
/// - Important: Every method must be called on ``eventLoop``.
public final class RedisClient: @unchecked Sendable {
    public let configuration: RedisClientConfiguration
    public let eventLoop: any EventLoop

    private enum State {
        case idle
        /// Commands wait here (bounded, and for at most the command timeout) while the
        /// connection is being made.
        case connecting(pending: [(RESPCommand, EventLoopPromise<RESPValue>)], since: NIODeadline)
        case ready(any Channel, RedisReplyHandler)
        /// The last attempt failed: commands fail at once until `until`.
        case backingOff(until: NIODeadline)
        case closed
    }

    /// Commands queued at most while connecting.
    static let maximumPending = 1024

    private var state: State = .idle
    private var pause: TimeAmount
    /// Whether the server is known to be unreachable (logged once per outage).
    private var inOutage = false
    private let logger: Logger

    public init(configuration: RedisClientConfiguration, eventLoop: any EventLoop, logger: Logger) {
        self.configuration = configuration
        self.pause = configuration.reconnectPause.lowerBound
        self.eventLoop = eventLoop
        self.logger = logger
    }

    /// Sends `command` and returns its reply. An error reply (`-ERR …`) is a reply
    /// (``RESPValue/error(_:)``); the future fails only with a ``RedisClientError``.
    public func send(_ command: RESPCommand) -> EventLoopFuture<RESPValue> {
        self.eventLoop.preconditionInEventLoop()
        let promise = self.eventLoop.makePromise(of: RESPValue.self)
        switch self.state {
        case .ready(_, let handler):
            handler.send(command, promise: promise)
        case .connecting(var pending, let since):
            // A connect slower than a command may wait: later commands do not queue behind it.
            guard pending.count < Self.maximumPending, NIODeadline.now() - since < self.configuration.commandTimeout else {
                promise.fail(RedisClientError.unavailable)
                break
            }
            self.state = .idle
            pending.append((command, promise))
            self.state = .connecting(pending: pending, since: since)
        case .idle:
            self.connect(first: (command, promise))
        case .backingOff(let until):
            if NIODeadline.now() >= until {
                self.connect(first: (command, promise))
            } else {
                promise.fail(RedisClientError.unavailable)
            }
        case .closed:
            promise.fail(RedisClientError.closed)
        }
        return promise.futureResult
    }

    /// Closes the connection; commands waiting fail with ``RedisClientError/closed`` or
    /// ``RedisClientError/connectionClosed``, later ones with ``RedisClientError/closed``.
    public func close() {
        self.eventLoop.preconditionInEventLoop()
        let previous = self.state
        self.state = .closed
        switch previous {
        case .ready(let channel, _):
            channel.close(promise: nil)
        case .connecting(let pending, _):
            for (_, promise) in pending { promise.fail(RedisClientError.closed) }
        case .idle, .backingOff, .closed:
            break
        }
    }

    private func connect(first: (RESPCommand, EventLoopPromise<RESPValue>)) {
        let since = NIODeadline.now()
        self.state = .connecting(pending: [first], since: since)
        let configuration = self.configuration
        // Commands do not wait for a slow connect longer than for a slow reply.
        self.eventLoop.assumeIsolated().scheduleTask(in: configuration.commandTimeout) { [self] in
            guard case .connecting(let pending, _) = self.state else { return }
            self.state = .connecting(pending: [], since: since)
            for (_, promise) in pending { promise.fail(RedisClientError.timeout) }
        }
        let handler = RedisReplyHandler(timeout: configuration.commandTimeout) { [self] in
            self.connectionClosed()
        }
        let loop = self.eventLoop
        ClientBootstrap(group: self.eventLoop)
            .connectTimeout(configuration.connectTimeout)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                loop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(handler)
                }
            }
            .connect(host: configuration.host, port: configuration.port)
            .hop(to: loop)
            .assumeIsolated()
            .whenComplete { [self] result in
                switch result {
                case .success(let channel):
                    self.connected(channel, handler: handler)
                case .failure(let error):
                    self.connectFailed(error)
                }
            }
    }

    private func connected(_ channel: any Channel, handler: RedisReplyHandler) {
        guard case .connecting(let pending, _) = self.state else {
            // Closed meanwhile.
            channel.close(promise: nil)
            return
        }
        self.state = .ready(channel, handler)
        self.pause = self.configuration.reconnectPause.lowerBound
        if self.inOutage {
            self.inOutage = false
            self.logger.notice("Redis is reachable again", metadata: ["redis": "\(self.configuration)"])
        }
        // The connection's preface, pipelined ahead of what waited for it.
        if let password = self.configuration.password {
            let auth = self.configuration.username.map { RESPCommand("AUTH", $0, password) } ?? RESPCommand("AUTH", password)
            self.expectOK(auth, what: "AUTH", channel: channel, handler: handler)
        }
        if self.configuration.database != 0 {
            self.expectOK(RESPCommand("SELECT", String(self.configuration.database)), what: "SELECT", channel: channel, handler: handler)
        }
        for (command, promise) in pending {
            handler.send(command, promise: promise)
        }
    }

    /// Sends a preface command; a refusal closes the connection (every command would fail on it).
    private func expectOK(_ command: RESPCommand, what: String, channel: any Channel, handler: RedisReplyHandler) {
        let promise = self.eventLoop.makePromise(of: RESPValue.self)
        handler.send(command, promise: promise)
        promise.futureResult.assumeIsolated().whenSuccess { [self] reply in
            guard case .error(let message) = reply else { return }
            // Redis' messages never repeat the password.
            self.logger.error("Redis refused \(what)", metadata: ["redis": "\(self.configuration)", "reply": "\(message)"])
            channel.close(promise: nil)
        }
    }

    private func connectFailed(_ error: any Error) {
        guard case .connecting(let pending, _) = self.state else { return }
        self.backOff()
        if !self.inOutage {
            self.inOutage = true
            self.logger.warning("cannot reach Redis", metadata: ["redis": "\(self.configuration)", "error": "\(error)"])
        }
        for (_, promise) in pending { promise.fail(RedisClientError.unavailable) }
    }

    private func connectionClosed() {
        guard case .ready = self.state else { return }
        self.backOff()
        if !self.inOutage {
            self.inOutage = true
            self.logger.warning("lost the connection to Redis", metadata: ["redis": "\(self.configuration)"])
        }
    }

    private func backOff() {
        self.state = .backingOff(until: .now() + self.pause)
        self.pause = min(self.pause * 2, self.configuration.reconnectPause.upperBound)
    }
}
