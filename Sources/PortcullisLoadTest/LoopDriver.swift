import DequeModule
import Histogram
import NIOCore
import NIOHTTP2
import NIOPosix
import NIOSSL

/// The part of a load test one event loop drives: its connections, its share of the schedule,
/// its statistics. Used on its loop only (hence `@unchecked Sendable`: the run hands it to its
/// loop and reads only what its futures carry); the run merges every driver's `Result`.
final class LoopDriver: @unchecked Sendable {
    struct Result: Sendable {
        var classes: [ClassStatistics]
        var accounting: LoadTestAccounting
        /// How late the schedule's sends were noticed as due (open loop): the generator's own delay.
        var lateness: Histogram<UInt64>
        /// Distinct credentials each class sent (warm-up included).
        var credentialsUsed: [Int]
        /// Requests each class sent (warm-up included).
        var sent: [Int]
        /// When the measured time ended (nanoseconds, `NIODeadline` scale).
        var endedAt: Int64
    }

    /// What happened in a stretch of the measured time.
    struct Interval: Sendable {
        var classes: [ClassStatistics]
        var completed = 0
        var failed = 0

        /// - Parameter closedLoop: requests leave when intended, so one latency is recorded.
        init(classCount: Int, closedLoop: Bool) {
            self.classes = Array(repeating: ClassStatistics(uncorrectedIsCorrected: closedLoop), count: classCount)
        }

        mutating func add(_ other: Interval) {
            for index in self.classes.indices { self.classes[index].add(other.classes[index]) }
            self.completed += other.completed
            self.failed += other.failed
        }
    }

    let loop: any EventLoop
    private let plan: LoadTestPlan
    /// This loop's index among the run's `loops`.
    private let index: Int
    private let loops: Int
    /// Per class, the request of each credential this loop sends.
    private var requests: [[LoadRequest]]
    private var nextVariant: [Int]
    private var sends: [Int]
    /// Per class, renewed credentials this loop sent (``CredentialRenewal``), and whether the
    /// latest one has not been sent yet.
    private var renewalsSent: [Int]
    private var renewalPending: [Bool]
    private let connectionCount: Int
    /// This loop's share of the schedule (open loop).
    private let schedule: RateSchedule?
    /// No schedule: each request leaves when intended, so its two latencies are one.
    private let closedLoop: Bool
    /// Measured requests this loop intends before it stops (`--requests`).
    private let requestLimit: Int?
    private var connections: [any LoadClientConnection] = []
    /// Slots free for a request: one per HTTP/1.1 connection, `streams` per HTTP/2 one.
    private var ready: [LoadSlot] = []
    /// Intended sends no connection was free for (open loop), oldest first.
    private var waiting = Deque<(classIndex: Int, intended: Int64)>()
    private var statistics: [ClassStatistics]
    /// Measured answers and failures by the interval of the measured time they fell in (index
    /// k covers `measureFrom + k·length` up to the next), until the run takes them: the one
    /// being filled, and earlier ones not taken yet.
    private var current: (index: Int, interval: Interval)
    private var earlier: [Int: Interval] = [:]
    private var lateness = ClassStatistics.histogram()
    private var accounting = LoadTestAccounting()
    /// Class indices in the order their requests are sent, by weight.
    private let rotation: [Int]
    private var nextClass = 0
    /// Requests of the schedule taken so far (open loop), warm-up included.
    private var scheduled = 0
    private var measureFrom: Int64 = 0
    private var endAt: Int64 = 0
    private var startedAt: Int64 = 0
    private var running = false
    /// The requests limit was reached: nothing more is intended, the run ends when the last answer is in.
    private var draining = false
    private var sweeper: RepeatedTask?
    private var wakeUp: NIOScheduledCallback?
    private var wakeUpAt: Int64 = .max
    private var finished: EventLoopPromise<Result>?
    /// A dispatch is queued for the end of this event-loop tick.
    private var dispatchQueued = false

    init(loop: any EventLoop, index: Int, of loops: Int, plan: LoadTestPlan, connections: Int, requestLimit: Int?) {
        self.loop = loop
        self.plan = plan
        self.index = index
        self.loops = loops
        self.requests = plan.classes.map { Self.requests(of: $0, loop: index, of: loops, plan: plan) }
        self.nextVariant = Array(repeating: 0, count: plan.classes.count)
        self.sends = Array(repeating: 0, count: plan.classes.count)
        self.renewalsSent = Array(repeating: 0, count: plan.classes.count)
        self.renewalPending = Array(repeating: false, count: plan.classes.count)
        self.rotation = RequestClass.rotation(plan.classes)
        self.connectionCount = connections
        self.schedule = plan.model.schedule?.share(of: loops)
        self.requestLimit = requestLimit
        self.closedLoop = plan.model == .closedLoop
        self.statistics = Array(repeating: ClassStatistics(uncorrectedIsCorrected: self.closedLoop), count: plan.classes.count)
        self.current = (0, Interval(classCount: plan.classes.count, closedLoop: self.closedLoop))
    }

    /// The request of each credential of `requestClass` that loop `index` of `loops` sends.
    private static func requests(of requestClass: RequestClass, loop index: Int, of loops: Int, plan: LoadTestPlan) -> [LoadRequest] {
        requestClass.variants(forLoop: index, of: loops).map { requestClass.request(for: plan.target, extra: $0, transport: plan.transport) }
    }

    /// From its next request on, the class at `classIndex` sends `renewed`'s fields (a
    /// credential renewed during the run). Called on the loop.
    func renew(classIndex: Int, as renewed: RequestClass) {
        self.requests[classIndex] = Self.requests(of: renewed, loop: self.index, of: self.loops, plan: self.plan)
        self.nextVariant[classIndex] = 0
        self.renewalPending[classIndex] = true
    }

    // MARK: Connections

    /// Opens this loop's connections.
    func connect() -> EventLoopFuture<Void> {
        let futures = (0..<self.connectionCount).map { _ in self.open() }
        return EventLoopFuture.andAllSucceed(futures, on: self.loop)
    }

    private func open() -> EventLoopFuture<Void> {
        let target = self.plan.target
        let transport = self.plan.transport
        return ClientBootstrap(group: self.loop)
            .channelOption(.tcpOption(.tcp_nodelay), value: 1)
            .connectTimeout(.seconds(5))
            .connect(host: target.host, port: target.port)
            .flatMapThrowing { channel in
                let pipeline = channel.pipeline.syncOperations
                if let tls = transport.tls {
                    try pipeline.addHandler(try NIOSSLClientHandler(context: tls, serverHostname: transport.serverHostname))
                }
                let connection: any LoadClientConnection
                if let streams = transport.http2Streams {
                    let http2 = HTTP2LoadConnection(driver: self, streams: streams)
                    try pipeline.addHandler(NIOHTTP2Handler(mode: .client))
                    try pipeline.addHandler(http2)
                    connection = http2
                } else {
                    let http1 = LoadConnection(driver: self)
                    try pipeline.addHandler(http1)
                    connection = http1
                }
                self.connections.append(connection)
                self.ready.append(contentsOf: connection.slots)
            }
    }

    /// A connection that closed or failed is replaced while the run goes on.
    private func replace(_ connection: any LoadClientConnection) {
        self.connections.removeAll { $0 === connection }
        self.ready.removeAll { $0.connection === connection }
        guard self.running, !self.draining else { return }
        self.open().assumeIsolated().whenComplete { result in
            if case .success = result { self.dispatch() }
        }
    }

    // MARK: The run

    /// Runs the schedule from `start` (a `NIODeadline` in nanoseconds): warm-up, then the
    /// measured duration; the result comes when the measured time is over.
    func run(start: Int64) -> EventLoopFuture<Result> {
        let promise = self.loop.makePromise(of: Result.self)
        self.loop.execute {
            self.finished = promise
            self.startedAt = start
            self.measureFrom = start + self.plan.warmup.nanoseconds
            self.endAt = self.measureFrom + self.plan.duration.nanoseconds
            self.running = true
            if self.requestLimit == 0 { self.draining = true }
            // Timeouts and the end are checked every 10 ms; sends are woken at their due time.
            self.sweeper = self.loop.scheduleRepeatedTask(initialDelay: .milliseconds(10), delay: .milliseconds(10)) { _ in self.sweep() }
            self.dispatch()
        }
        return promise.futureResult
    }

    /// What was measured in the intervals before `index` and not taken yet, for the progress
    /// display and the interval log.
    func takeIntervals(before index: Int) -> Interval {
        var taken = Interval(classCount: self.plan.classes.count, closedLoop: self.closedLoop)
        for key in self.earlier.keys where key < index {
            if let interval = self.earlier.removeValue(forKey: key) { taken.add(interval) }
        }
        if self.current.index < index {
            taken.add(self.current.interval)
            self.current = (index, Interval(classCount: self.plan.classes.count, closedLoop: self.closedLoop))
        }
        return taken
    }

    /// Makes the interval `now` falls in the current one.
    private func moveToInterval(at now: Int64) {
        let index = Int(max(now - self.measureFrom, 0) / self.plan.progressInterval.nanoseconds)
        guard index != self.current.index else { return }
        if index > self.current.index {
            self.earlier[self.current.index, default: Interval(classCount: self.plan.classes.count, closedLoop: self.closedLoop)].add(self.current.interval)
            self.current = (index, Interval(classCount: self.plan.classes.count, closedLoop: self.closedLoop))
        }
        // An earlier index (the run took the current one early) keeps filling the current one.
    }

    private func recordFailure(now: Int64) {
        self.moveToInterval(at: now)
        self.current.interval.failed += 1
    }

    private func sweep() {
        let now = Int64(NIODeadline.now().uptimeNanoseconds)
        if now >= self.endAt {
            return self.finish(at: self.endAt)
        }
        // Requests unanswered past the timeout: counted, their connections replaced.
        let limit = self.plan.timeout.nanoseconds
        for connection in self.connections {
            for slot in connection.slots {
                guard let outstanding = slot.outstanding, now - outstanding.sent >= limit else { continue }
                if outstanding.measured {
                    self.accounting.timedOut += 1
                    self.recordFailure(now: now)
                }
                connection.abandon(slot)
            }
        }
        self.dispatch()
    }

    /// Sends what is due on free connections.
    private func dispatch() {
        guard self.running else { return }
        let now = Int64(NIODeadline.now().uptimeNanoseconds)
        guard now < self.endAt else { return self.finish(at: self.endAt) }
        if self.schedule != nil {
            self.scheduleDue(upTo: now)
            while !self.waiting.isEmpty, let slot = self.ready.popLast() {
                let next = self.waiting.removeFirst()
                self.send(on: slot, classIndex: next.classIndex, intended: next.intended, now: now)
            }
            self.wakeUpForNextSend()
        } else {
            while !self.draining, let slot = self.ready.popLast() {
                if now >= self.measureFrom {
                    self.accounting.intended += 1
                    if let limit = self.requestLimit, self.accounting.intended >= limit { self.draining = true }
                }
                self.send(on: slot, classIndex: self.takeClass(), intended: now, now: now)
            }
        }
        if self.draining, self.waiting.isEmpty, !self.connections.contains(where: { $0.slots.contains { $0.outstanding != nil } }) {
            self.finish(at: now)
        }
    }

    /// Every send of the schedule due by `now` (and before the end) joins the queue with its
    /// intended time; how late it was noticed is recorded (the generator's own lateness).
    private func scheduleDue(upTo now: Int64, notingLateness: Bool = true) {
        guard let schedule = self.schedule, !self.draining else { return }
        while true {
            let intended = self.startedAt + schedule.offset(ofRequest: self.scheduled, warmup: self.plan.warmup.nanoseconds)
            guard intended <= now, intended < self.endAt else { break }
            self.scheduled += 1
            self.waiting.append((self.takeClass(), intended))
            if intended >= self.measureFrom {
                self.accounting.intended += 1
                if notingLateness { _ = self.lateness.record(UInt64(clamping: max(now - intended, 1_000))) }
                if let limit = self.requestLimit, self.accounting.intended >= limit {
                    self.draining = true
                    break
                }
            }
        }
    }

    /// Wakes the loop when the schedule's next request is due (timer precision, not a tick).
    private func wakeUpForNextSend() {
        guard let schedule = self.schedule, !self.draining else { return }
        let next = self.startedAt + schedule.offset(ofRequest: self.scheduled, warmup: self.plan.warmup.nanoseconds)
        guard next < self.endAt, next < self.wakeUpAt else { return }
        self.wakeUp?.cancel()
        self.wakeUpAt = next
        self.wakeUp = try? self.loop.assumeIsolated().scheduleCallback(at: .uptimeNanoseconds(UInt64(max(next, 0))), handler: WakeUp(driver: self))
    }

    private struct WakeUp: NIOScheduledCallbackHandler {
        unowned let driver: LoopDriver

        func handleScheduledCallback(eventLoop: some EventLoop) {
            self.driver.wakeUp = nil
            self.driver.wakeUpAt = .max
            self.driver.dispatch()
        }
    }

    private func takeClass() -> Int {
        defer { self.nextClass = (self.nextClass + 1) % self.rotation.count }
        return self.rotation[self.nextClass]
    }

    private func send(on slot: LoadSlot, classIndex: Int, intended: Int64, now: Int64) {
        let variants = self.requests[classIndex]
        let variant = self.nextVariant[classIndex]
        self.nextVariant[classIndex] = variant + 1 == variants.count ? 0 : variant + 1
        self.sends[classIndex] += 1
        if self.renewalPending[classIndex] {
            self.renewalPending[classIndex] = false
            self.renewalsSent[classIndex] += 1
        }
        slot.outstanding = .init(classIndex: classIndex, intended: intended, sent: now, measured: intended >= self.measureFrom)
        slot.connection.send(variants[variant], on: slot)
    }

    // MARK: From connections

    func answered(_ slot: LoadSlot, status: Int, request: LoadSlot.Outstanding, reusable: Bool) {
        let now = Int64(NIODeadline.now().uptimeNanoseconds)
        if request.measured, request.intended < self.endAt {
            self.accounting.completed += 1
            let corrected = now - request.intended
            let uncorrected = now - request.sent
            self.statistics[request.classIndex].record(status: status, corrected: corrected, uncorrected: uncorrected)
            self.moveToInterval(at: now)
            self.current.interval.classes[request.classIndex].record(status: status, corrected: corrected, uncorrected: uncorrected, byStatus: false)
            self.current.interval.completed += 1
        }
        // A slot whose connection closes after this answer comes back with its replacement.
        if reusable { self.freed(slot) }
    }

    /// `slot` can take a request again.
    ///
    /// The next requests leave once the loop has read everything the kernel had ready (a task
    /// queued for the end of the tick), not one by one between reads: the target then takes a
    /// burst of requests per wake-up, as wrk's writes after each poll do. Measured against nginx
    /// on one core each: 72k to 79k requests per second, the kernel's wake-up work per request
    /// down by half (Benchmarks/loadtest/run.sh).
    func freed(_ slot: LoadSlot) {
        self.ready.append(slot)
        guard !self.dispatchQueued else { return }
        self.dispatchQueued = true
        self.loop.execute {
            self.dispatchQueued = false
            self.dispatch()
        }
    }

    /// The peer reset `slot`'s stream: the request errored, the connection goes on.
    func requestFailed(_ slot: LoadSlot, request: LoadSlot.Outstanding?) {
        if let request, request.measured {
            self.accounting.errored += 1
            self.recordFailure(now: Int64(NIODeadline.now().uptimeNanoseconds))
        }
        self.freed(slot)
    }

    /// `connection` closed or failed: the requests it carried errored; it is replaced.
    func connectionGone(_ connection: any LoadClientConnection) {
        for slot in connection.slots {
            if let request = slot.outstanding, request.measured {
                self.accounting.errored += 1
                self.recordFailure(now: Int64(NIODeadline.now().uptimeNanoseconds))
            }
            slot.outstanding = nil
        }
        self.replace(connection)
        self.dispatch()
    }

    private func finish(at end: Int64) {
        guard self.running else { return }
        self.running = false
        // Sends the schedule had due while this loop was busy still count, as never sent.
        if !self.draining { self.scheduleDue(upTo: self.endAt, notingLateness: false) }
        self.sweeper?.cancel()
        self.wakeUp?.cancel()
        for connection in self.connections {
            for slot in connection.slots where slot.outstanding?.measured == true { self.accounting.inFlight += 1 }
            connection.close()
        }
        self.accounting.notSent += self.waiting.filter { $0.intended >= self.measureFrom }.count
        self.waiting.removeAll()
        let used = self.requests.indices.map { min(self.sends[$0], self.requests[$0].count) + self.renewalsSent[$0] }
        self.finished?.succeed(
            Result(classes: self.statistics, accounting: self.accounting, lateness: self.lateness, credentialsUsed: used, sent: self.sends, endedAt: end)
        )
        self.finished = nil
    }
}
