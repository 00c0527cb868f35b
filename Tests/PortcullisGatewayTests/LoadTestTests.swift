import Foundation
import NIOCore
@testable import PortcullisLoadTest
import Testing
import PortcullisTestSupport

/// `portcullis loadtest`'s engine against a live gateway over loopback: per-class statuses and
/// histograms, accounting that adds up, the constant-rate schedule. Runs last half a second each;
/// for a load generator time is the behaviour under test, so the rate is checked (loosely).
@Suite("Load test")
struct LoadTestTests {
    static let config = """
        [listener]
        port = 0
        shutdownTimeoutSeconds = 5
        [metrics]
        port = 0

        # Stored forms that decide at once (no bcrypt user, so no unknown-name bcrypt run either):
        # these tests are about the load tester, and a pending decision would tie them to the
        # test process's thread pools.
        [[ballerina.auth.users]]
        username = "bob"
        password = "@sha512:39845272484e7ec931e6b77b1b28f267c4e79606e060f5fa3daf3a7046e24e81817c03902608734facff5bdadc3a85ffa96bfb1f6df67a6eb394d44591488955"
        scopes = ["read"]

        [[service]]
        name = "private"
        basePath = "/private"
          [[service.auth]]
          fileUserStoreConfig = {}
          scopes = ["read"]
          [[service.resource]]
          path = "/"
          respond = { status = 200, body = "private" }
        """

    static let bob = ("authorization", "Basic \(Data("bob:bob123".utf8).base64EncodedString())")

    static func plan(port: Int, model: LoadTestPlan.Model, classes: [RequestClass]) -> LoadTestPlan {
        LoadTestPlan(
            target: LoadTestTarget(host: "127.0.0.1", port: port, path: "/private/"),
            model: model,
            connections: 4,
            threads: 1,
            duration: .milliseconds(500),
            warmup: .milliseconds(100),
            timeout: .seconds(5),
            classes: classes
        )
    }

    static func expectAccountingAddsUp(_ accounting: LoadTestAccounting) {
        #expect(
            accounting.intended
                == accounting.completed + accounting.errored + accounting.timedOut + accounting.inFlight + accounting.notSent,
            "\(accounting)"
        )
    }

    @Test("closed loop: each credential class gets its own statuses and histograms; every intended request is accounted for")
    func closedLoopClasses() async throws {
        try await GatewayHarness.run(Self.config) { gateway in
            let report = try await LoadTest.run(
                Self.plan(
                    port: gateway.gatewayPort,
                    model: .closedLoop,
                    classes: [RequestClass(name: "basic", headers: [Self.bob]), RequestClass(name: "invalid-garbage", expectation: .status(401))]
                )
            )
            let summaries = Dictionary(uniqueKeysWithValues: report.summaries.map { ($0.name, $0.summary) })
            let basic = try #require(summaries["basic"])
            let invalid = try #require(summaries["invalid-garbage"])
            #expect(basic.count > 0 && invalid.count > 0, "\(report.table)")
            #expect(basic.statuses.keys.sorted() == ["200"])
            #expect(invalid.statuses.keys.sorted() == ["401"])
            #expect(basic.latencyMs.p50 > 0 && basic.latencyMs.p50 <= basic.latencyMs.p99 && basic.latencyMs.p99 <= basic.latencyMs.max)
            #expect(report.passed)
            #expect(report.accounting.errored == 0)
            Self.expectAccountingAddsUp(report.accounting)
            #expect(report.accounting.completed == basic.count + invalid.count)
        }
    }

    @Test("two loops: a credential both send counts once, variants shared out between them add up")
    func credentialsOverLoops() async throws {
        try await GatewayHarness.run(Self.config) { gateway in
            var plan = Self.plan(
                port: gateway.gatewayPort,
                model: .closedLoop,
                classes: [
                    RequestClass(name: "basic", headers: [Self.bob]),
                    RequestClass(name: "numbered", headers: [Self.bob], variants: (0..<6).map { [("x-variant", String($0))] }),
                ]
            )
            plan.threads = 2
            let report = try await LoadTest.run(plan)
            #expect(report.passed, "\(report.table)")
            #expect(report.sent.allSatisfy { $0 >= 6 }, "\(report.sent)")
            #expect(report.credentialsUsed == [1, 6])
        }
    }

    @Test("constant rate: the schedule's requests are intended whatever the answers, measured from their intended time")
    func constantRate() async throws {
        try await GatewayHarness.run(Self.config) { gateway in
            let report = try await LoadTest.run(
                Self.plan(port: gateway.gatewayPort, model: .constantRate(400), classes: [RequestClass(name: "basic", headers: [Self.bob])])
            )
            // 400/s for the 0.5 s measured: 200 intended, by the schedule alone, however busy the
            // machine (what a starved run could not send counts as not sent, not as nothing).
            #expect((199...201).contains(report.accounting.intended), "\(report.accounting)")
            #expect(report.accounting.completed > 0, "\(report.table)")
            Self.expectAccountingAddsUp(report.accounting)
            let summary = try #require(report.summaries.first?.summary)
            #expect(summary.latencyMs.p50 >= summary.uncorrectedLatencyMs.p50 * 0.999)
            let json = try JSONDecoder().decode(LoadTestReport.JSON.self, from: JSONEncoder().encode(report.json))
            #expect(json.rate == 400)
            #expect(json.classes["basic"]?.count == summary.count)
        }
    }

    @Test("a class whose answers are not its expected status fails the run")
    func unexpectedStatus() async throws {
        try await GatewayHarness.run(Self.config) { gateway in
            let report = try await LoadTest.run(
                Self.plan(port: gateway.gatewayPort, model: .closedLoop, classes: [RequestClass(name: "default")])
            )
            #expect(!report.passed)
            #expect(report.summaries.first?.summary.statuses.keys.sorted() == ["401"])
            #expect(report.table.contains("FAILED"))
        }
    }

    @Test("--invalid kinds expect 401 and --mix sets the shares: basic=50,invalid=50 over two kinds is 2:1:1")
    func invalidKindsAndMix() async throws {
        try await GatewayHarness.run(Self.config) { gateway in
            let json = try CommandRunner.temporaryFile("")
            let result = try await CommandRunner.runAsync([
                "loadtest", "http://127.0.0.1:\(gateway.gatewayPort)/private/", "--duration", "300ms", "--connections", "2",
                "--threads", "1", "--basic", "bob:bob123", "--invalid", "garbage", "--invalid", "unknown-user",
                "--mix", "basic=50,invalid=50", "--json", json,
            ])
            #expect(result.status == 0, "\(result.stderr)\n\(result.stdout)")
            let report = try JSONDecoder().decode(LoadTestReport.JSON.self, from: Data(contentsOf: URL(fileURLWithPath: json)))
            let basic = try #require(report.classes["basic"])
            let garbage = try #require(report.classes["invalid-garbage"])
            let unknown = try #require(report.classes["invalid-unknown-user"])
            #expect(basic.statuses.keys.sorted() == ["200"])
            #expect(garbage.statuses.keys.sorted() == ["401"])
            #expect(unknown.statuses.keys.sorted() == ["401"])
            #expect(garbage.count > 0, "\(result.stdout)")
            // The rotation sends two basic requests per garbage one; what the end cuts off (two
            // connections in flight, a turn half done) is a few requests at most, however few
            // the machine managed.
            #expect(abs(basic.count - 2 * garbage.count) <= 4, "\(result.stdout)")
            #expect(abs(garbage.count - unknown.count) <= 2, "\(result.stdout)")
        }
        let unknownShare = try await CommandRunner.runAsync(["loadtest", "http://127.0.0.1:1/", "--basic", "a:b", "--mix", "basic=1,jwt=2"])
        #expect(unknownShare.status == 1)
        #expect(unknownShare.stderr.contains("jwt is not a class of this run"), "\(unknownShare.stderr)")
    }

    @Test("--metrics: the gateway's auth counters that grew during the run are printed")
    func metricsDeltas() async throws {
        try await GatewayHarness.run(Self.config) { gateway in
            let metricsPort = try #require(gateway.metricsPort)
            let result = try await CommandRunner.runAsync([
                "loadtest", "http://127.0.0.1:\(gateway.gatewayPort)/private/", "--duration", "300ms", "--connections", "2",
                "--threads", "1", "--basic", "bob:bob123", "--metrics", "http://127.0.0.1:\(metricsPort)/metrics",
            ])
            #expect(result.status == 0, "\(result.stderr)")
            #expect(result.stdout.contains("gateway counters grown during the run"), "\(result.stdout)")
            #expect(result.stdout.contains(#"portcullis_auth_decisions_total{service="private",auth="basic_file",outcome="allowed"} +"#), "\(result.stdout)")
            #expect(result.stdout.contains(#"portcullis_cache_lookups_total{cache="basic_file",result="hit"} +"#), "\(result.stdout)")
        }
    }

    @Test("metric deltas: only the auth families, only what grew, new series counted from zero")
    func metricsDelta() {
        let before = """
            # TYPE portcullis_auth_decisions_total counter
            portcullis_auth_decisions_total{service="a",auth="jwt",outcome="allowed"} 10
            portcullis_cache_lookups_total{cache="jwt",result="hit"} 5
            portcullis_requests_total{service="a",method="GET",code="200"} 10
            """
        let after = """
            # TYPE portcullis_auth_decisions_total counter
            portcullis_auth_decisions_total{service="a",auth="jwt",outcome="allowed"} 110
            portcullis_auth_decisions_total{service="a",auth="jwt",outcome="unauthenticated"} 7
            portcullis_cache_lookups_total{cache="jwt",result="hit"} 5
            portcullis_requests_total{service="a",method="GET",code="200"} 117
            """
        #expect(MetricsDelta(before: before, after: after).lines == [
            #"portcullis_auth_decisions_total{service="a",auth="jwt",outcome="allowed"} +100"#,
            #"portcullis_auth_decisions_total{service="a",auth="jwt",outcome="unauthenticated"} +7"#,
        ])
    }

    @Test("weights: a turn holds each class as often as its weight, spread out")
    func rotation() {
        let rotation = RequestClass.rotation([
            RequestClass(name: "a", weight: 5), RequestClass(name: "b", weight: 4), RequestClass(name: "c", weight: 1),
        ])
        #expect(rotation.count == 10)
        #expect(rotation.filter { $0 == 0 }.count == 5 && rotation.filter { $0 == 1 }.count == 4 && rotation.filter { $0 == 2 }.count == 1)
        // Smooth: never the same class three times in a row.
        for index in 2..<rotation.count {
            #expect(!(rotation[index] == rotation[index - 1] && rotation[index] == rotation[index - 2]), "\(rotation)")
        }
    }

    @Test("targets: http and https URLs with a port, a path and a query; other schemes and shapes are refused")
    func targets() throws {
        #expect(try LoadTestTarget(url: "http://127.0.0.1:8080/a/b?c=d") == LoadTestTarget(host: "127.0.0.1", port: 8080, path: "/a/b?c=d"))
        #expect(try LoadTestTarget(url: "http://example.com") == LoadTestTarget(host: "example.com", port: 80, path: "/"))
        #expect(try LoadTestTarget(url: "http://[::1]:9/x") == LoadTestTarget(host: "::1", port: 9, path: "/x"))
        #expect(try LoadTestTarget(url: "https://a/") == LoadTestTarget(host: "a", port: 443, path: "/", secure: true))
        #expect(try LoadTestTarget(url: "https://a:8443/x").authority == "a:8443")
        #expect(throws: LoadTestTarget.ParseError.unsupportedScheme("ws://a/")) { try LoadTestTarget(url: "ws://a/") }
        #expect(throws: LoadTestTarget.ParseError.malformed("http://a:0/")) { try LoadTestTarget(url: "http://a:0/") }
        #expect(throws: LoadTestTarget.ParseError.unsupportedScheme("ftp://a/")) { try LoadTestTarget(url: "ftp://a/") }
        #expect(throws: LoadTestTarget.ParseError.malformed("a/b")) { try LoadTestTarget(url: "a/b") }
    }

    @Test("the command: a table and a JSON file for a run; bad arguments exit 1 with what is wrong")
    func command() async throws {
        try await GatewayHarness.run(Self.config) { gateway in
            let json = try CommandRunner.temporaryFile("")
            let result = try await CommandRunner.runAsync([
                "loadtest", "http://127.0.0.1:\(gateway.gatewayPort)/private/", "--duration", "300ms", "--connections", "2",
                "--threads", "1", "--basic", "bob:bob123", "--json", json,
            ])
            #expect(result.status == 0, "\(result.stderr)")
            #expect(result.stdout.contains("basic"), "\(result.stdout)")
            #expect(result.stdout.contains("requests: intended"), "\(result.stdout)")
            let report = try JSONDecoder().decode(LoadTestReport.JSON.self, from: Data(contentsOf: URL(fileURLWithPath: json)))
            #expect((report.classes["basic"]?.statuses["200"] ?? 0) > 0)

            let refused = try await CommandRunner.runAsync(["loadtest", "http://127.0.0.1:\(gateway.gatewayPort)/private/", "--duration", "200ms", "--connections", "1"])
            #expect(refused.status == 1, "\(refused.stdout)")
            #expect(refused.stderr.contains("not the status it expects"), "\(refused.stderr)")
        }
        for (arguments, message) in [
            (["loadtest", "ftp://127.0.0.1:1/"], "only http:// and https:// targets"),
            (["loadtest", "http://127.0.0.1:1/", "--rate", "10:20"], "FROM:TO with --ramp"),
            (["loadtest", "http://127.0.0.1:1/", "--ramp", "5s"], "--ramp needs --rate FROM:TO"),
            (["loadtest", "http://127.0.0.1:1/", "--requests", "0"], "--requests must be at least 1"),
            (["loadtest", "http://127.0.0.1:1/", "--insecure"], "--insecure and --cacert are for https:// targets"),
            (["loadtest", "http://127.0.0.1:1/", "--duration", "soon"], "--duration"),
            (["loadtest", "http://127.0.0.1:1/", "--header", "no colon"], "--header"),
            (["loadtest", "http://127.0.0.1:1/", "--expect", "nobody=200"], "--expect"),
        ] {
            let result = try await CommandRunner.runAsync(arguments)
            #expect(result.status == 1, "\(arguments)")
            #expect(result.stderr.contains(message), "\(arguments): \(result.stderr)")
        }
    }
}
