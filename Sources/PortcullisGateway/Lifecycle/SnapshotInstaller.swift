import Logging
import NIOCore
import PortcullisAuth
import PortcullisAuthEngine
import PortcullisConfig
import PortcullisMetrics

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Owns the snapshot a running gateway serves: installs a reloaded one on every event loop,
/// keeps the JWKS refreshes of the one installed running, and closes what a reload dropped once
/// the requests that may still use it have had their drain time.
actor SnapshotInstaller {
    private(set) var current: GatewaySnapshot
    private let loops: [LoopRuntime]
    private let metrics: PortcullisMetrics
    private let readiness: Readiness
    private let accessLog: AccessLogWriter?
    private let logger: Logger
    private let tokenClock: @Sendable () -> Double
    /// How long a replaced snapshot's dropped parts stay open for requests that started on it.
    private let drainTime: Duration
    private var refreshes: Task<Void, Never>?
    /// Replaced snapshots waiting out their drain time, by reload number.
    private var retiring: [Int: Task<Void, Never>] = [:]
    private var reloads = 0

    init(
        current: GatewaySnapshot,
        loops: [LoopRuntime],
        metrics: PortcullisMetrics,
        readiness: Readiness,
        accessLog: AccessLogWriter?,
        logger: Logger,
        tokenClock: @escaping @Sendable () -> Double
    ) {
        self.current = current
        self.loops = loops
        self.metrics = metrics
        self.readiness = readiness
        self.accessLog = accessLog
        self.logger = logger
        self.tokenClock = tokenClock
        self.drainTime = .milliseconds(Int64(current.config.listener.shutdownTimeoutSeconds * 1000))
        metrics.configLoaded(hash: current.config.sourceHash, atUnixSeconds: Date().timeIntervalSince1970)
    }

    /// Starts the JWKS refreshes of the installed snapshot.
    func startRefreshes() {
        let engine = self.current.engine
        self.refreshes?.cancel()
        self.refreshes = Task { await engine.run() }
    }

    /// Loads, compiles and installs the configuration `load` reads; on any problem nothing changes.
    func reload(_ load: ConfigReloader.Load) async -> ReloadOutcome {
        // SIGHUP is also how logrotate says it moved the log away, whatever the config.
        self.accessLog?.reopen()
        let outcome = await self.attempt(load)
        switch outcome {
        case .reloaded(let hash):
            self.metrics.recordConfigReload(succeeded: true)
            self.logger.info("configuration reloaded", metadata: ["hash": "\(hash)", "services": "\(self.current.config.services.count)"])
        case .rejected(let problems):
            self.metrics.recordConfigReload(succeeded: false)
            for problem in problems {
                self.logger.error("\(problem)")
            }
            self.logger.error("configuration reload rejected; the running configuration is kept", metadata: ["problems": "\(problems.count)"])
        }
        return outcome
    }

    private func attempt(_ load: ConfigReloader.Load) async -> ReloadOutcome {
        let config: GatewayConfig
        do {
            config = try await load()
        } catch let error as ConfigError {
            return .rejected(error.diagnostics.map(\.description))
        } catch {
            return .rejected(["\(error)"])
        }
        let restart = RestartRequirement.violations(serving: self.current.config, loaded: config)
        guard restart.isEmpty else { return .rejected(restart.map(\.description)) }
        let previous = self.current
        let next: GatewaySnapshot
        do {
            next = try await GatewaySnapshot.compile(
                config: config,
                metrics: self.metrics,
                logger: self.logger,
                shards: self.loops.count,
                tokenClock: self.tokenClock,
                previous: previous
            )
        } catch {
            return .rejected(error.diagnostics.map(\.description))
        }
        for warning in next.warnings {
            self.logger.warning("\(warning.description)")
        }
        // New JWKS sources fetch and new directories bind before the swap, as at start.
        await next.engine.start(after: previous.engine)
        for loop in self.loops {
            try? await loop.eventLoop.submit { loop.install(next.runtime) }.get()
        }
        self.current = next
        self.readiness.reloaded(jwksSources: next.engine.jwksSources)
        self.startRefreshes()
        self.metrics.configLoaded(hash: config.sourceHash, atUnixSeconds: Date().timeIntervalSince1970)
        // Requests that started on `previous` may still be using what `next` dropped.
        let drainTime = self.drainTime
        self.reloads += 1
        let number = self.reloads
        self.retiring[number] = Task {
            try? await Task.sleep(for: drainTime)
            await previous.shutdown(keeping: next)
            await self.retired(number)
        }
        return .reloaded(hash: config.sourceHash)
    }

    private func retired(_ number: Int) {
        self.retiring[number] = nil
    }

    /// Stops the refreshes and closes everything, replaced snapshots' leftovers included.
    func shutdown() async {
        self.refreshes?.cancel()
        self.refreshes = nil
        let retiring = Array(self.retiring.values)
        for task in retiring { task.cancel() }
        for task in retiring { await task.value }
        await self.current.shutdown()
    }
}
