import DequeModule
import NIOCore
import NIOPosix

/// The part of a load test one event loop drives: its connections, its share of the schedule,
/// its statistics. Used on its loop only (hence `@unchecked Sendable`: the run hands it to its
/// loop and reads only the `Result` its future carries); the run merges every driver's `Result`.
final class LoopDriver: @unchecked Sendable {
    struct Result: Sendable {
        var classes: [ClassStatistics]
        var accounting: LoadTestAccounting
    }

    private let loop: any EventLoop
    private let plan: LoadTestPlan
    private let requests: [ByteBuffer]
    private let connectionCount: Int
    /// Requests per second this loop issues (constant-rate model).
    private let rate: Double?
    private var connections: [LoadConnection] = []
    private var ready: [LoadConnection] = []
    /// Intended sends no connection was free for (constant-rate model), oldest first.
    private var waiting = Deque<(classIndex: Int, intended: Int64)>()
    private var statistics: [ClassStatistics]
    private var accounting = LoadTestAccounting()
    /// Class indices in the order their requests are sent, by weight.
    private let rotation: [Int]
    private var nextClass = 0
    private var sentCount: Int64 = 0
    private var measureFrom: Int64 = 0
    private var endAt: Int64 = 0
    private var startedAt: Int64 = 0
    private var running = false
    private var ticker: RepeatedTask?
    private var finished: EventLoopPromise<Result>?

    init(loop: any EventLoop, plan: LoadTestPlan, connections: Int, rate: Double?) {
        self.loop = loop
        self.plan = plan
        self.requests = plan.classes.map { $0.request(for: plan.target) }
        self.rotation = RequestClass.rotation(plan.classes)
        self.connectionCount = connections
        self.rate = rate
        self.statistics = Array(repeating: ClassStatistics(), count: plan.classes.count)
    }

    // MARK: Connections

    /// Opens this loop's connections.
    func connect() -> EventLoopFuture<Void> {
        let futures = (0..<self.connectionCount).map { _ in self.open() }
        return EventLoopFuture.andAllSucceed(futures, on: self.loop)
    }

    private func open() -> EventLoopFuture<Void> {
        let target = self.plan.target
        return ClientBootstrap(group: self.loop)
            .channelOption(.tcpOption(.tcp_nodelay), value: 1)
            .connectTimeout(.seconds(5))
            .connect(host: target.host, port: target.port)
            .flatMapThrowing { channel in
                let connection = LoadConnection(driver: self)
                try channel.pipeline.syncOperations.addHandler(connection)
                self.connections.append(connection)
                self.ready.append(connection)
            }
    }

    /// A connection that closed or failed is replaced while the run goes on.
    private func replace(_ connection: LoadConnection) {
        self.connections.removeAll { $0 === connection }
        self.ready.removeAll { $0 === connection }
        guard self.running else { return }
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
            let tick: TimeAmount = self.rate.map { .nanoseconds(max(Int64(1e9 / $0), 100_000)) }.map { min($0, .milliseconds(1)) } ?? .milliseconds(10)
            self.ticker = self.loop.scheduleRepeatedTask(initialDelay: .zero, delay: tick) { _ in self.tick() }
            self.dispatch()
        }
        return promise.futureResult
    }

    private func tick() {
        let now = NIODeadline.now().uptimeNanoseconds
        let nowSigned = Int64(now)
        if nowSigned >= self.endAt {
            return self.finish()
        }
        // Requests unanswered past the timeout: counted, their connections replaced.
        let limit = self.plan.timeout.nanoseconds
        for connection in self.connections {
            if let outstanding = connection.outstanding, nowSigned - outstanding.sent >= limit {
                if outstanding.measured { self.accounting.timedOut += 1 }
                connection.close()
                self.replace(connection)
            }
        }
        self.dispatch()
    }

    /// Sends what is due on free connections.
    private func dispatch() {
        guard self.running else { return }
        let now = Int64(NIODeadline.now().uptimeNanoseconds)
        guard now < self.endAt else { return self.finish() }
        if self.rate != nil {
            self.scheduleDue(upTo: now)
            while !self.waiting.isEmpty, let connection = self.ready.popLast() {
                let next = self.waiting.removeFirst()
                self.send(on: connection, classIndex: next.classIndex, intended: next.intended, now: now)
            }
        } else {
            while let connection = self.ready.popLast() {
                if now >= self.measureFrom { self.accounting.intended += 1 }
                self.send(on: connection, classIndex: self.takeClass(), intended: now, now: now)
            }
        }
    }

    /// Every send of the constant-rate schedule due by `now` (and before the end) joins the
    /// queue with its intended time.
    private func scheduleDue(upTo now: Int64) {
        guard let rate = self.rate else { return }
        let interval = 1e9 / rate
        while true {
            let intended = self.startedAt + Int64(Double(self.sentCount) * interval)
            guard intended <= now, intended < self.endAt else { break }
            self.sentCount += 1
            self.waiting.append((self.takeClass(), intended))
            if intended >= self.measureFrom { self.accounting.intended += 1 }
        }
    }

    private func takeClass() -> Int {
        defer { self.nextClass = (self.nextClass + 1) % self.rotation.count }
        return self.rotation[self.nextClass]
    }

    private func send(on connection: LoadConnection, classIndex: Int, intended: Int64, now: Int64) {
        connection.send(
            self.requests[classIndex],
            .init(classIndex: classIndex, intended: intended, sent: now, measured: intended >= self.measureFrom)
        )
    }

    // MARK: From connections

    func answered(_ connection: LoadConnection, status: Int, request: LoadConnection.Outstanding, reusable: Bool) {
        let now = Int64(NIODeadline.now().uptimeNanoseconds)
        if request.measured, request.intended < self.endAt {
            self.accounting.completed += 1
            self.statistics[request.classIndex].record(status: status, corrected: now - request.intended, uncorrected: now - request.sent)
        }
        if reusable {
            self.ready.append(connection)
            self.dispatch()
        } else {
            self.replace(connection)
        }
    }

    func lost(_ connection: LoadConnection, request: LoadConnection.Outstanding?) {
        if let request, request.measured { self.accounting.errored += 1 }
        self.replace(connection)
    }

    private func finish() {
        guard self.running else { return }
        self.running = false
        // Sends the schedule had due while this loop was busy still count, as never sent.
        self.scheduleDue(upTo: self.endAt)
        self.ticker?.cancel()
        for connection in self.connections {
            if let outstanding = connection.outstanding, outstanding.measured { self.accounting.inFlight += 1 }
            connection.close()
        }
        self.accounting.notSent += self.waiting.filter { $0.intended >= self.measureFrom }.count
        self.waiting.removeAll()
        self.finished?.succeed(Result(classes: self.statistics, accounting: self.accounting))
        self.finished = nil
    }
}
