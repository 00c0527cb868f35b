import Foundation
import Testing
import PortcullisTestSupport

/// deploy/, each artifact checked by the tool made for it: hadolint, `kubectl kustomize` with
/// `kubernetes-validate --strict`, promtool (rules, rule unit tests, the dashboard's queries, the
/// Prometheus config), `systemd-analyze verify` and `security`, and `portcullis check`. The checks
/// that need YAML or dpkg are in `Fixtures/deploy_check.py`.
@Suite("deploy/")
struct DeployTests {
    static let root = JWTFixture.repository
    static func path(_ relative: String) -> String { root.appendingPathComponent(relative).path }
    static let helper = path("Tests/PortcullisGatewayTests/Fixtures/deploy_check.py")

    /// A tool of the test virtualenv (scripts/test.sh installs them).
    static func venvTool(_ name: String) throws -> String {
        let tool = path(".build/test-python/bin/\(name)")
        guard FileManager.default.isExecutableFile(atPath: tool) else {
            throw ExternalTool.Failure(command: name, output: "\(tool) is missing: run scripts/test.sh once")
        }
        return tool
    }

    static func expectSuccess(_ result: CommandRunner.Result, _ what: String, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(result.status == 0, "\(what): \(result.stdout)\(result.stderr)", sourceLocation: sourceLocation)
    }

    @Test("the example configs pass portcullis check", arguments: ["deploy/portcullis.toml", "deploy/kubernetes/portcullis.toml"])
    func configs(file: String) async throws {
        Self.expectSuccess(try await CommandRunner.runAsync(["check", "--config", Self.path(file)]), file)
    }

    @Test("the Dockerfile passes hadolint, and the runtime image installs every library the binary links")
    func container() async throws {
        let dockerfile = Self.path("deploy/container/Dockerfile")
        Self.expectSuccess(try await ExternalTool.runAsync(try Self.venvTool("hadolint"), [dockerfile]), "hadolint")
        Self.expectSuccess(
            try await ExternalTool.runAsync(try JWTFixture.python, [Self.helper, "image", dockerfile, CommandRunner.executable.path]),
            "runtime libraries"
        )
        let text = try String(contentsOfFile: dockerfile, encoding: .utf8)
        let runtime = try #require(text.components(separatedBy: "\nFROM ").last)
        #expect(runtime.contains("USER 10001:10001"), "the runtime stage runs as a numeric non-root user")
        #expect(runtime.contains("HEALTHCHECK") && runtime.contains("/livez"))
        #expect(text.contains("--static-swift-stdlib"))
    }

    @Test("the probe the image's HEALTHCHECK runs: 0 when /livez answers 200, 1 when nothing listens")
    func probe() async throws {
        try await GatewayHarness.run(GatewayConfigs.gateway) { gateway in
            let port = try #require(gateway.metricsPort)
            // A generous timeout: the whole suite runs in parallel on two cores.
            let live = try await CommandRunner.runAsync(["probe", "http://127.0.0.1:\(port)/livez", "--timeout", "20"])
            #expect(live.status == 0, "\(live.stderr)")
            let missing = try await CommandRunner.runAsync(["probe", "http://127.0.0.1:\(port)/nothing", "--timeout", "20"])
            #expect(missing.status == 1)
        }
        let closed = try await CommandRunner.runAsync(["probe", "http://127.0.0.1:\(try GatewayHarness.closedPort())/livez", "--timeout", "2"])
        #expect(closed.status == 1)
    }

    @Test("the kustomize base renders, passes kubernetes-validate --strict, and its ServiceMonitor, PrometheusRule and pod spec hold")
    func kubernetes() async throws {
        let rendered = try await ExternalTool.runAsync("kubectl", ["kustomize", Self.path("deploy/kubernetes")])
        Self.expectSuccess(rendered, "kubectl kustomize")
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("portcullis-k8s-\(UUID().uuidString).yaml").path
        try Data(rendered.stdout.utf8).write(to: URL(fileURLWithPath: file))
        let validated = try await ExternalTool.runAsync(try Self.venvTool("kubernetes-validate"), ["--strict", "--quiet", file])
        Self.expectSuccess(validated, "kubernetes-validate")
        // kubernetes-validate has no schema for the Prometheus Operator's kinds: checked by hand.
        #expect(validated.stdout.contains("ServiceMonitor") && validated.stdout.contains("PrometheusRule"))
        Self.expectSuccess(
            try await ExternalTool.runAsync(try JWTFixture.python, [Self.helper, "kubernetes", file, Self.path("deploy/prometheus")]),
            "kubernetes checks"
        )
    }

    @Test("the Prometheus config and rules pass promtool check, and the alert rules pass their unit tests")
    func prometheus() async throws {
        Self.expectSuccess(try await ExternalTool.runAsync("promtool", ["check", "config", Self.path("deploy/prometheus/prometheus.yml")]), "promtool check config")
        Self.expectSuccess(
            try await ExternalTool.runAsync("promtool", ["test", "rules", Self.path("deploy/prometheus/tests.yml")]),
            "promtool test rules"
        )
    }

    @Test("every panel query of the Grafana dashboard passes promtool and uses documented metrics")
    func grafana() async throws {
        Self.expectSuccess(
            try await ExternalTool.runAsync(try JWTFixture.python, [Self.helper, "dashboard", Self.path("deploy/grafana/portcullis.json"), Self.path("README.md")]),
            "dashboard"
        )
    }

    @Test("the systemd unit passes systemd-analyze verify and scores no worse than deploy/README.md records")
    func systemd() async throws {
        // verify checks that the commands exist: the unit as installed, pointing at the built binary.
        let unit = try String(contentsOfFile: Self.path("deploy/systemd/portcullis.service"), encoding: .utf8)
        #expect(unit.contains("ExecReload=/bin/kill -HUP $MAINPID"))
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("portcullis-unit-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let installed = folder + "/portcullis.service"
        try Data(unit.replacingOccurrences(of: "/usr/local/bin/portcullis", with: CommandRunner.executable.path).utf8)
            .write(to: URL(fileURLWithPath: installed))
        let verified = try await ExternalTool.runAsync("systemd-analyze", ["verify", installed])
        Self.expectSuccess(verified, "systemd-analyze verify")
        #expect(verified.stdout.isEmpty && verified.stderr.isEmpty, "\(verified.stdout)\(verified.stderr)")

        let security = try await ExternalTool.runAsync("systemd-analyze", ["security", "--offline=true", installed])
        let measured = try #require(Self.exposure(in: security.stdout), "\(security.stdout)\(security.stderr)")
        let readme = try String(contentsOfFile: Self.path("deploy/README.md"), encoding: .utf8)
        let recorded = try #require(Self.exposure(in: readme), "deploy/README.md records no exposure level")
        #expect(measured <= recorded, "exposure \(measured), deploy/README.md records \(recorded)")
    }

    /// The number after "Overall exposure level for portcullis.service:".
    static func exposure(in text: String) -> Double? {
        guard let range = text.range(of: "exposure level for portcullis.service: ") else { return nil }
        return Double(text[range.upperBound...].prefix { $0.isNumber || $0 == "." })
    }
}
