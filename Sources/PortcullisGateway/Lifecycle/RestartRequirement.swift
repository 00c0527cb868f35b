import PortcullisConfig

/// The settings a running gateway cannot change in place: what is bound (addresses, ports,
/// whether the listener speaks TLS), how many event loops serve it, and the drain timeout its
/// signal handling was set up with, and where the access log goes. A reload that changes one is
/// refused as a whole.
enum RestartRequirement {
    /// One diagnostic per setting `loaded` changes from `serving`, at its line in `loaded`'s file.
    static func violations(serving: GatewayConfig, loaded: GatewayConfig) -> [ConfigDiagnostic] {
        var found: [ConfigDiagnostic] = []
        func require(_ keys: [String], _ running: String, _ wanted: String) {
            guard running != wanted else { return }
            var path = ConfigPath.root
            for key in keys { path = path.appending(key) }
            found.append(
                ConfigDiagnostic(
                    file: loaded.sourceName,
                    line: loaded.line(of: path),
                    path: path,
                    message: "changing it requires a restart (serving \(running), the file says \(wanted)); the running configuration is kept"
                )
            )
        }
        let old = serving.listener
        let new = loaded.listener
        require(["listener", "host"], old.host, new.host)
        require(["listener", "port"], "\(old.port)", "\(new.port)")
        require(["listener", "eventLoops"], old.eventLoops.map { "\($0)" } ?? "one per core", new.eventLoops.map { "\($0)" } ?? "one per core")
        require(["listener", "secureSocket"], old.secureSocket == nil ? "plain HTTP" : "TLS", new.secureSocket == nil ? "plain HTTP" : "TLS")
        require(["listener", "shutdownTimeoutSeconds"], "\(old.shutdownTimeoutSeconds)", "\(new.shutdownTimeoutSeconds)")
        func describe(_ metrics: MetricsConfig?) -> String {
            metrics.map { "\($0.host):\($0.port)\($0.path)" } ?? "no [metrics] listener"
        }
        require(["metrics"], describe(serving.metrics), describe(loaded.metrics))
        func describe(_ accessLog: AccessLogConfig?) -> String {
            accessLog.map { "\($0.format.rawValue) to \($0.path ?? "standard error")" } ?? "no access log"
        }
        require(["accessLog"], describe(serving.accessLog), describe(loaded.accessLog))
        return found
    }
}
