/// A complete, validated gateway configuration: what `portcullis serve` runs.
///
/// Values of this type are immutable snapshots; the gateway builds its route table and
/// authenticators from one and never changes it while serving.
public struct GatewayConfig: Sendable {
    /// The file the configuration was read from, or `nil` for the embedded quickstart.
    public var sourceFile: String?
    public var listener: ListenerConfig
    /// The Prometheus endpoint; `nil` when the `[metrics]` table is absent.
    public var metrics: MetricsConfig?
    /// The access log; `nil` (no log) when the `[accessLog]` table is absent.
    public var accessLog: AccessLogConfig?
    /// `[throttling]`: limits on auth attempts and failures for every service without its own.
    public var throttling: ThrottlingConfig?
    /// `[forwardAuth]`: the decision endpoint for a proxy in front; `nil` when the table is absent.
    public var forwardAuth: ForwardAuthConfig?
    /// The file user store (`[[ballerina.auth.users]]`).
    public var users: [FileUserConfig]
    public var services: [ServiceConfig]
    /// Things worth telling the operator at start that do not stop the gateway
    /// (plain-text passwords, for example).
    public var warnings: [ConfigDiagnostic]
    /// The first 12 hex digits of the SHA-256 of the TOML text this was read from (empty for a
    /// configuration built in code): what `portcullis_config_info{hash}` shows.
    public var sourceHash: String = ""
    /// Where each key of the source is written, for diagnostics about a key after loading.
    var lineIndex: TOMLLineIndex?

    /// The line `path` is written on in the source (for a key left out, its table's line); 1
    /// when unknown.
    public func line(of path: ConfigPath) -> Int {
        self.lineIndex?.line(for: path) ?? 1
    }

    /// The name diagnostics use for the source: the file, or `<quickstart>`.
    public var sourceName: String {
        self.sourceFile ?? ConfigLoader.quickstartName
    }

    public init(
        sourceFile: String? = nil,
        listener: ListenerConfig = ListenerConfig(),
        metrics: MetricsConfig? = nil,
        users: [FileUserConfig] = [],
        services: [ServiceConfig] = [],
        warnings: [ConfigDiagnostic] = []
    ) {
        self.sourceFile = sourceFile
        self.listener = listener
        self.metrics = metrics
        self.users = users
        self.services = services
        self.warnings = warnings
    }
}
