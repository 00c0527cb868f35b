#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import NIOCore
import PortcullisRedis
import Synchronization

/// What the connections of one event loop share: the installed ``GatewayRuntime``, its upstream
/// pools, a coarse clock, the `Date` header and the handlers its timer sweeps.
///
/// One per event loop, built at start and used only on that loop, so nothing here takes a lock.
/// A single repeating task per loop (every ``tickInterval``) refreshes the clock and the date and
/// gives every registered handler a chance to act on its deadlines: no request arms a timer.
///
/// - Important: Every member must be used on ``eventLoop`` only.
final class LoopRuntime: @unchecked Sendable {
    /// How often deadlines are checked: every timeout acts within this much of its deadline.
    static let tickInterval: TimeAmount = .milliseconds(250)

    let eventLoop: any EventLoop
    /// The loop's place in its group: the shard its metrics are recorded in.
    let index: Int
    /// The snapshot new requests are served from; replaced by ``install(_:)`` on a reload.
    private(set) var gateway: GatewayRuntime
    /// The upstream pools of this loop, by upstream.
    private(set) var pools: [UpstreamKey: UpstreamPool]
    /// This loop's connections to the throttling stores, by server.
    private(set) var throttleStores: [RedisClientConfiguration: RedisClient]
    /// This loop's access-log lines, when the gateway keeps an access log.
    let accessLog: AccessLogBuffer?
    /// `now` as of the last tick: what deadlines are compared against. Deadlines themselves are
    /// set from the precise clock, so a timeout fires between its deadline and one tick later,
    /// never early.
    private(set) var now: NIODeadline
    /// The `Date` header value (RFC 9110 §5.6.7), refreshed each second.
    private(set) var date: String
    private var dateSecond: Int = -1
    private var tickers: [any LoopTicking] = []
    /// How many handlers (connections, HTTP/2 streams) were registered at the last tick: written by
    /// this loop each tick, read by ``MemoryTrimService`` from elsewhere.
    let liveHandlers = Atomic<Int>(0)
    /// The most handlers registered at once since ``MemoryTrimService`` last took it: raised by
    /// this loop as handlers register (a burst shorter than the service's interval is seen too).
    let peakHandlers = Atomic<Int>(0)
    private var requestCount: UInt64 = 0
    private let loopID = UInt64.random(in: 0...0xFFFF)
    private var ticker: RepeatedTask?

    init(eventLoop: any EventLoop, index: Int, gateway: GatewayRuntime, accessLog: AccessLogWriter? = nil) {
        self.eventLoop = eventLoop
        self.accessLog = accessLog.map(AccessLogBuffer.init(writer:))
        self.index = index
        self.now = .now()
        self.date = ""
        self.gateway = gateway
        var pools: [UpstreamKey: UpstreamPool] = [:]
        for (key, settings) in gateway.upstreams {
            pools[key] = UpstreamPool(eventLoop: eventLoop, settings: settings)
        }
        self.pools = pools
        self.throttleStores = [:]
        for store in gateway.throttleStores {
            self.throttleStores[store] = RedisClient(configuration: store, eventLoop: eventLoop, logger: gateway.logger)
        }
        self.refreshDate()
    }

    /// Serves new requests from `gateway`. Pools whose settings did not change are kept with
    /// their connections; the others are retired (idle connections close now, busy ones after
    /// their exchange), and the requests in flight finish on what they started with.
    func install(_ gateway: GatewayRuntime) {
        self.eventLoop.preconditionInEventLoop()
        var pools: [UpstreamKey: UpstreamPool] = [:]
        for (key, settings) in gateway.upstreams {
            if let pool = self.pools[key], pool.settings.isEquivalent(to: settings) {
                pools[key] = pool
            } else {
                pools[key] = UpstreamPool(eventLoop: self.eventLoop, settings: settings)
            }
        }
        for (key, pool) in self.pools where pools[key] !== pool {
            pool.retire()
        }
        self.pools = pools
        var stores: [RedisClientConfiguration: RedisClient] = [:]
        for store in gateway.throttleStores {
            stores[store] = self.throttleStores[store] ?? RedisClient(configuration: store, eventLoop: self.eventLoop, logger: gateway.logger)
        }
        for (store, client) in self.throttleStores where stores[store] == nil {
            client.close()
        }
        self.throttleStores = stores
        self.gateway = gateway
    }

    /// Starts the loop's timer.
    func start() {
        self.eventLoop.execute {
            self.ticker = self.eventLoop.scheduleRepeatedTask(initialDelay: Self.tickInterval, delay: Self.tickInterval) { _ in
                self.tick()
            }
        }
    }

    /// Stops the timer and closes idle upstream connections and the throttling stores' connections.
    func stop() -> EventLoopFuture<Void> {
        self.eventLoop.submit {
            self.ticker?.cancel()
            self.ticker = nil
            for pool in self.pools.values { pool.closeAll() }
            for client in self.throttleStores.values { client.close() }
            self.tickers.removeAll()
            self.accessLog?.handOver()
        }
    }

    /// An identifier for a request's log lines: this loop's random tag, then a count.
    func nextRequestID() -> String {
        self.requestCount += 1
        return String(self.loopID, radix: 16) + "-" + String(self.requestCount)
    }

    /// Adds `handler` to the handlers checked on every tick.
    func register(_ handler: any LoopTicking) {
        handler.tickIndex = self.tickers.count
        self.tickers.append(handler)
        self.peakHandlers.max(self.tickers.count, ordering: .relaxed)
    }

    /// Removes a handler added with ``register(_:)``.
    func deregister(_ handler: any LoopTicking) {
        let index = handler.tickIndex
        guard index >= 0, index < self.tickers.count, self.tickers[index] === handler else { return }
        let last = self.tickers.removeLast()
        if index < self.tickers.count {
            self.tickers[index] = last
            last.tickIndex = index
        }
        handler.tickIndex = -1
    }

    private func tick() {
        self.now = .now()
        self.refreshDate()
        // Handlers may deregister themselves while ticking: walk a copy of the indices backwards.
        var index = self.tickers.count - 1
        while index >= 0 {
            if index < self.tickers.count {
                self.tickers[index].tick(now: self.now)
            }
            index -= 1
        }
        for pool in self.pools.values {
            pool.sweep(now: self.now)
        }
        self.accessLog?.handOver()
        self.liveHandlers.store(self.tickers.count, ordering: .relaxed)
    }

    private func refreshDate() {
        var seconds = time(nil)
        guard seconds != self.dateSecond else { return }
        self.dateSecond = seconds
        var parts = tm()
        gmtime_r(&seconds, &parts)
        let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
        self.date =
            "\(days[Int(parts.tm_wday)]), \(two(parts.tm_mday)) \(months[Int(parts.tm_mon)]) \(1900 + Int(parts.tm_year)) "
            + "\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec)) GMT"
    }
}

/// Something a ``LoopRuntime`` checks on every tick (a connection with deadlines).
protocol LoopTicking: AnyObject {
    /// The handler's place in its loop's list; kept by the loop.
    var tickIndex: Int { get set }
    func tick(now: NIODeadline)
}
