import Histogram
import NIOCore
import NIOPosix
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Runs a ``LoadTestPlan``: opens the connections over `threads` event loops, runs the schedule
/// on each loop, reports what each interval measured while it goes on, and merges what the loops
/// measured.
public enum LoadTest {
    /// Runs `plan`; `progress` is called once per `plan.progressInterval` and once more, marked
    /// final, for the rest after the end.
    ///
    /// `renewals` name the classes whose credentials expire during the run, and where their
    /// current ones come from (asked outside every request's measured time).
    public static func run(
        _ plan: LoadTestPlan,
        renewals: [CredentialRenewal] = [],
        progress: @escaping @Sendable (LoadTestProgress) async -> Void = { _ in }
    ) async throws -> LoadTestReport {
        let threads = max(1, min(plan.threads, plan.connections))
        let group = MultiThreadedEventLoopGroup(numberOfThreads: threads)
        do {
            let report = try await Self.run(plan, threads: threads, on: group, renewals: renewals, progress: progress)
            try? await group.shutdownGracefully()
            return report
        } catch {
            try? await group.shutdownGracefully()
            throw error
        }
    }

    private static func run(
        _ plan: LoadTestPlan,
        threads: Int,
        on group: MultiThreadedEventLoopGroup,
        renewals: [CredentialRenewal],
        progress: @escaping @Sendable (LoadTestProgress) async -> Void
    ) async throws -> LoadTestReport {
        let loops = Array(group.makeIterator())
        let drivers = loops.enumerated().map { index, loop in
            func share(_ total: Int) -> Int { total / threads + (index < total % threads ? 1 : 0) }
            return LoopDriver(
                loop: loop, index: index, of: threads, plan: plan, connections: share(plan.connections),
                requestLimit: plan.requestLimit.map(share)
            )
        }
        for driver in drivers {
            try await driver.connect().get()
        }
        let cpuBefore = Self.processCPUNanoseconds()
        let start = Int64(NIODeadline.now().uptimeNanoseconds)
        let measuredStartEpoch = Self.epochSeconds() + Double(plan.warmup.nanoseconds) / 1e9
        let results = drivers.map { $0.run(start: start) }
        let gate = RenewalGate(drivers: drivers)
        let renewers = renewals.compactMap { renewal in
            plan.classes.firstIndex { $0.name == renewal.className }.map { index in
                Task { await Self.renew(classIndex: index, of: plan, by: renewal, through: gate) }
            }
        }
        /// Stops the renewals: none reaches a loop after the run, even one whose source is still
        /// answering (a token request is not cancelled; it ends on its own).
        func stopRenewing() {
            gate.close()
            for renewer in renewers { renewer.cancel() }
        }
        // Reports each interval of the measured time at its end until cancelled; returns the
        // index of the interval still open.
        let reporter = Task { () -> Int in
            let length = plan.progressInterval.nanoseconds
            let measureFrom = start + plan.warmup.nanoseconds
            var index = 0
            while !Task.isCancelled {
                let wait = measureFrom + Int64(index + 1) * length - Int64(NIODeadline.now().uptimeNanoseconds)
                if wait > 0 {
                    do { try await Task.sleep(nanoseconds: UInt64(wait)) } catch { break }
                }
                guard let interval = try? await Self.interval(of: drivers, index: index, length: length, plan: plan, epoch: measuredStartEpoch, final: false)
                else { break }
                await progress(interval)
                index += 1
            }
            return index
        }
        var classes = Array(repeating: ClassStatistics(uncorrectedIsCorrected: plan.model == .closedLoop), count: plan.classes.count)
        var accounting = LoadTestAccounting()
        var lateness = ClassStatistics.histogram()
        var credentialsUsed = Array(repeating: 0, count: plan.classes.count)
        var sent = Array(repeating: 0, count: plan.classes.count)
        var endedAt = start
        do {
            for future in results {
                let result = try await future.get()
                for index in classes.indices {
                    classes[index].add(result.classes[index])
                    // Variants shared out between the loops add up; a credential every loop
                    // sends (the class's only one, or too few variants to go round) counts once.
                    if plan.classes[index].sharesOutVariants(among: threads) {
                        credentialsUsed[index] += result.credentialsUsed[index]
                    } else {
                        credentialsUsed[index] = max(credentialsUsed[index], result.credentialsUsed[index])
                    }
                    sent[index] += result.sent[index]
                }
                accounting.add(result.accounting)
                lateness.add(result.lateness)
                endedAt = max(endedAt, result.endedAt)
            }
        } catch {
            reporter.cancel()
            stopRenewing()
            throw error
        }
        let wall = Int64(NIODeadline.now().uptimeNanoseconds) - start
        let cpu = Self.processCPUNanoseconds() - cpuBefore
        reporter.cancel()
        stopRenewing()
        let last = await reporter.value
        let measureFrom = start + plan.warmup.nanoseconds
        let lastStart = measureFrom + Int64(last) * plan.progressInterval.nanoseconds
        await progress(
            try await Self.interval(of: drivers, index: last, length: max(endedAt - lastStart, 0), plan: plan, epoch: measuredStartEpoch, final: true)
        )
        return LoadTestReport(
            plan: plan,
            classes: classes,
            accounting: accounting,
            lateness: lateness,
            credentialsUsed: credentialsUsed,
            sent: sent,
            measuredNanoseconds: max(endedAt - measureFrom, 1),
            cpuShare: wall > 0 ? Double(cpu) / (Double(wall) * Double(threads)) : 0
        )
    }

    /// Asks `renewal` for the class's fields every `renewal.interval` until cancelled, and hands
    /// each change to every loop.
    private static func renew(classIndex: Int, of plan: LoadTestPlan, by renewal: CredentialRenewal, through gate: RenewalGate) async {
        var current = plan.classes[classIndex]
        while !Task.isCancelled {
            do { try await Task.sleep(nanoseconds: UInt64(max(renewal.interval.nanoseconds, 1_000_000))) } catch { return }
            guard let fields = await renewal.current() else { continue }
            let renewed = current.renewing(fields)
            guard renewed != current else { continue }
            current = renewed
            gate.deliver(renewed, classIndex: classIndex)
        }
    }

    /// Hands renewed classes to the loops while the run goes on, and to none once closed.
    private final class RenewalGate: Sendable {
        private let drivers: [LoopDriver]
        private let open = Mutex(true)

        init(drivers: [LoopDriver]) {
            self.drivers = drivers
        }

        func deliver(_ renewed: RequestClass, classIndex: Int) {
            // Under the lock: `close()` returns only when no delivery is under way.
            self.open.withLock { open in
                guard open else { return }
                for driver in self.drivers {
                    driver.loop.execute { driver.renew(classIndex: classIndex, as: renewed) }
                }
            }
        }

        func close() {
            self.open.withLock { $0 = false }
        }
    }

    /// Interval `index` of the measured time (the last one, `final`, takes whatever is left).
    private static func interval(
        of drivers: [LoopDriver],
        index: Int,
        length: Int64,
        plan: LoadTestPlan,
        epoch: Double,
        final: Bool
    ) async throws -> LoadTestProgress {
        var merged = LoopDriver.Interval(classCount: plan.classes.count, closedLoop: plan.model == .closedLoop)
        let before = final ? Int.max : index + 1
        for driver in drivers {
            merged.add(try await driver.loop.submit { driver.takeIntervals(before: before) }.get())
        }
        return LoadTestProgress(
            startNanoseconds: plan.warmup.nanoseconds + Int64(index) * plan.progressInterval.nanoseconds,
            lengthNanoseconds: length,
            completed: merged.completed,
            failed: merged.failed,
            classes: merged.classes,
            final: final,
            measuredStartEpochSeconds: epoch
        )
    }

    /// The wall clock, in seconds since the epoch.
    static func epochSeconds() -> Double {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
    }

    /// User and system CPU time of this process so far.
    static func processCPUNanoseconds() -> Int64 {
        var usage = rusage()
        #if canImport(Glibc)
        let who = RUSAGE_SELF.rawValue
        #else
        let who = RUSAGE_SELF
        #endif
        guard getrusage(who, &usage) == 0 else { return 0 }
        func nanoseconds(_ time: timeval) -> Int64 { Int64(time.tv_sec) * 1_000_000_000 + Int64(time.tv_usec) * 1_000 }
        return nanoseconds(usage.ru_utime) + nanoseconds(usage.ru_stime)
    }
}
