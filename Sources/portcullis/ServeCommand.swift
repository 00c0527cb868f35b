import ArgumentParser
import Logging
import PortcullisConfig
import PortcullisGateway
import PortcullisMetrics
import ServiceLifecycle
import UnixSignals

/// `portcullis serve [--config FILE] [--watch]`: runs the gateway until SIGTERM or SIGINT;
/// SIGHUP (or, with `--watch`, a change of the file) reloads the configuration.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the gateway; without --config, on the embedded quickstart configuration."
    )

    @Option(name: .long, help: "The configuration file (TOML).")
    var config: String?

    @Option(name: .long, help: "trace, debug, info, notice, warning, error or critical.")
    var logLevel: String = "info"

    @Flag(name: .long, help: "Reload when the configuration file changes (its modification time or, for a symlink, its target).")
    var watch = false

    func validate() throws {
        guard Logger.Level(rawValue: self.logLevel) != nil else {
            throw ValidationError("--log-level must be one of trace, debug, info, notice, warning, error, critical")
        }
        if self.watch && self.config == nil {
            throw ValidationError("--watch needs --config FILE")
        }
    }

    func run() async throws {
        let level = Logger.Level(rawValue: self.logLevel) ?? .info
        LoggingSystem.bootstrap { label in LineLogHandler(label: label, logLevel: level) }
        let logger = Logger(label: "portcullis")
        logger.info("loading configuration", metadata: ["source": "\(self.config ?? ConfigLoader.quickstartName)"])
        let config = try await ConfigSource.read(self.config)
        for warning in config.warnings {
            logger.warning("\(warning.description)")
        }
        let path = self.config
        let reloader = ConfigReloader {
            try path.map { try ConfigLoader.load(file: $0) } ?? ConfigLoader.quickstart()
        }
        let isQuickstart = path == nil
        let gateway = Gateway(config: config, metrics: PortcullisMetrics(), logger: logger, reloader: reloader) { addresses in
            if isQuickstart {
                Self.printQuickstart(host: config.listener.host, addresses: addresses)
            }
        }
        let hangups = await UnixSignalsSequence(trapping: .sighup)
        let signals = Task {
            for await _ in hangups {
                logger.info("SIGHUP: reloading the configuration")
                reloader.requestReload()
            }
        }
        let watcher = self.watch ? path.map { ConfigFileWatcher(path: $0, logger: logger) { reloader.requestReload() } } : nil
        let watching = Task { await watcher?.run() }
        defer {
            signals.cancel()
            watching.cancel()
        }
        let group = ServiceGroup(
            configuration: .init(
                services: [.init(service: gateway)],
                gracefulShutdownSignals: [.sigterm, .sigint],
                cancellationSignals: [],
                logger: logger
            ).withTimeouts(shutdown: config.listener.shutdownTimeoutSeconds)
        )
        do {
            try await ConfigSource.reportingFailures {
                try await group.run()
            }
        } catch let status as ExitCode {
            // The configuration was read but what it names is not usable (a key, a certificate).
            throw status
        } catch {
            logger.critical("gateway failed", metadata: ["error": "\(error)"])
            throw ExitStatus.runtime
        }
    }

    private static func printQuickstart(host: String, addresses: ListeningAddresses) {
        let base = "http://\(host):\(addresses.gatewayPort)"
        // The executable as it was started, so the token lines work from the same folder.
        let executable = CommandLine.arguments.first.map { $0.contains("/") ? $0 : "portcullis" } ?? "portcullis"
        printOutput(
            """
            Portcullis quickstart is running. Try:
              curl -i \(base)/hello                     # 401: no credentials
              curl -i -u bob:bob123 \(base)/hello       # 403: bob lacks the scope "hello"
              curl -i -u alice:alice123 \(base)/hello   # 200: Hello, World!
              curl -i -H "Authorization: Bearer $(\(executable) token --sub carol)" \(base)/hello                 # 403: a JWT without the scope
              curl -i -H "Authorization: Bearer $(\(executable) token --sub carol --scope hello)" \(base)/hello   # 200: a JWT with it
            """
        )
        if let metricsPort = addresses.metricsPort {
            printOutput("  curl -s http://\(host):\(metricsPort)/metrics       # Prometheus metrics")
        }
    }
}

extension ServiceGroupConfiguration {
    fileprivate func withTimeouts(shutdown seconds: Double) -> ServiceGroupConfiguration {
        var copy = self
        copy.maximumGracefulShutdownDuration = .milliseconds(Int64(seconds * 1000))
        copy.maximumCancellationDuration = .seconds(2)
        return copy
    }
}
