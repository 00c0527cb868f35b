/// Where a running gateway accepts connections: useful when ports were `0`.
public struct ListeningAddresses: Sendable, Equatable {
    /// The gateway listener's port.
    public var gatewayPort: Int
    /// The metrics listener's port, when metrics are enabled.
    public var metricsPort: Int?
}

/// Collects the bound ports of the listeners and reports them once all are up.
actor ListeningReporter {
    private var gatewayPort: Int?
    private var metricsPort: Int?
    private let expectsMetrics: Bool
    private let report: @Sendable (ListeningAddresses) async -> Void
    private var reported = false

    init(expectsMetrics: Bool, report: @escaping @Sendable (ListeningAddresses) async -> Void) {
        self.expectsMetrics = expectsMetrics
        self.report = report
    }

    func gatewayBound(port: Int) async {
        self.gatewayPort = port
        await self.reportIfReady()
    }

    func metricsBound(port: Int) async {
        self.metricsPort = port
        await self.reportIfReady()
    }

    private func reportIfReady() async {
        guard !self.reported, let gatewayPort = self.gatewayPort else { return }
        if self.expectsMetrics && self.metricsPort == nil { return }
        self.reported = true
        await self.report(ListeningAddresses(gatewayPort: gatewayPort, metricsPort: self.metricsPort))
    }
}
