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
    /// The file user store (`[[ballerina.auth.users]]`).
    public var users: [FileUserConfig]
    public var services: [ServiceConfig]
    /// Things worth telling the operator at start that do not stop the gateway
    /// (plain-text passwords, for example).
    public var warnings: [ConfigDiagnostic]

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
