import ArgumentParser
import AsyncHTTPClient
import NIOCore
import NIOHTTP1
import NIOSSL
import PortcullisClientAuth
import PortcullisConfig
import PortcullisLoadTest

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// `portcullis loadtest URL`: load with credentials per class and latency measured honestly
/// (from each request's intended send time on an open-loop schedule).
struct LoadTestCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "loadtest",
        abstract: "Load an HTTP target, per credential class, with coordinated-omission-corrected latency.",
        discussion: """
            Without --rate, each connection sends its next request as soon as the previous answer \
            arrived (the most the target does). With --rate, requests leave on that schedule (a \
            constant rate, or FROM:TO ramped over --ramp) and each latency is measured from the \
            request's intended send time; the uncorrected figures are shown beside. Credential \
            classes (--basic, --bearer, --jwt-key, --oauth2-config, --invalid) share the requests \
            (--mix), each with its own histograms; a class whose answers are not the expected \
            status (2xx, 401 for invalid kinds, or --expect) fails the run (exit 1).
            """
    )

    @Argument(help: "The target, http(s)://host[:port]/path.")
    var url: String

    @Option(name: .long, help: "Requests per second (open loop), or FROM:TO with --ramp; without it, a closed loop.")
    var rate: String?

    @Option(name: .long, help: "How long --rate FROM:TO takes to go from FROM to TO, from the start of the measured time, e.g. 30s.")
    var ramp: String?

    @Option(name: .long, help: "Connections to keep open.")
    var connections: Int = 64

    @Option(name: .long, help: "Event-loop threads (default: cores).")
    var threads: Int?

    @Option(name: .long, help: "Measured time, e.g. 10s, 2m, 500ms (default 10s; unlimited with --requests).")
    var duration: String?

    @Option(name: .long, help: "End after this many measured requests (and their answers).")
    var requests: Int?

    @Option(name: .long, help: "Time before the measured time, excluded from every result and count.")
    var warmup: String = "0s"

    @Option(name: .long, help: "A request unanswered this long counts as timed out.")
    var timeout: String = "10s"

    @Option(name: .long, help: "A class named basic: Basic credentials user:pass ({i} in them is replaced by 0, 1, … with --basic-unique).")
    var basic: String?

    @Option(name: .long, help: "Distinct Basic credentials, --basic with {i} replaced by 0 to N-1, sent in turn (each one's first use is a cache miss at the gateway).")
    var basicUnique: Int = 1

    @Option(name: .long, help: "A class named bearer: this bearer token.")
    var bearer: String?

    @Option(name: .long, help: "A class named jwt, signed with this key file (PEM, or an HMAC secret with --jwt-alg HS*), or 'quickstart' for the quickstart's development key.")
    var jwtKey: String?

    @Option(name: .long, help: "The jwt class's algorithm; default: the key's usual one.")
    var jwtAlg: JWTAlgorithmName?

    @Option(name: .long, parsing: .singleValue, help: "A claim of the jwt class's tokens, name=JSON (repeatable), e.g. 'scope=\"hello\"', 'aud=[\"a\",\"b\"]'.")
    var jwtClaim: [String] = []

    @Option(name: .long, help: "Distinct jwt tokens to mint before the run (each one's first use is a cache miss at the gateway).")
    var jwtUnique: Int = 1

    @Option(name: .long, help: "The password of an encrypted PEM key given with --jwt-key.")
    var jwtKeyPassword: String?

    @Option(name: .long, help: "A class named oauth2: a TOML file holding an OAuth2 grant record as in the gateway config; its token is fetched before the run and renewed during it, outside the measured latency.")
    var oauth2Config: String?

    @Option(
        name: .long,
        parsing: .singleValue,
        help: "A class invalid-KIND expecting 401 (repeatable): garbage, unknown-user, expired (needs --jwt-key), bad-signature."
    )
    var invalid: [String] = []

    @Option(name: .long, help: "Shares, e.g. basic=50,jwt=40,invalid=10 (invalid is split evenly among the --invalid kinds).")
    var mix: String?

    @Option(name: .long, parsing: .singleValue, help: "A header sent with every request, \"Name: value\" (repeatable).")
    var header: [String] = []

    @Option(name: .long, parsing: .singleValue, help: "CLASS=CODE: the status CLASS's answers must have (repeatable).")
    var expect: [String] = []

    @Flag(name: .long, help: "HTTP/2: over TLS through ALPN for https targets, with prior knowledge (h2c) for http ones.")
    var http2 = false

    @Option(name: .long, help: "HTTP/2 streams in flight per connection.")
    var streams: Int = 1

    @Flag(name: .long, help: "https: do not verify the target's certificate.")
    var insecure = false

    @Option(name: .long, help: "https: trust the CA certificates in this PEM file (instead of the system's).")
    var cacert: String?

    @Option(name: .long, help: "Write the report as JSON to this file.")
    var json: String?

    @Option(name: .long, help: "Write each class's percentile distribution (.hgrm, HdrHistogram's format) into this directory.")
    var hgrm: String?

    @Option(name: .long, help: "Write an HdrHistogram interval log (one histogram per class per second) to this file.")
    var intervalLog: String?

    @Option(name: .long, help: "Write a percentile-distribution plot (SVG) to this file.")
    var svg: String?

    @Flag(name: .long, help: "No progress line while the run goes on.")
    var quiet = false

    @Option(name: .long, help: "The gateway's metrics URL: its cache, auth-decision and IdP counters are scraped before and after, and what grew is printed.")
    var metrics: String?

    static let invalidKinds = ["garbage", "unknown-user", "expired", "bad-signature"]

    func validate() throws {
        guard self.connections >= 1 else { throw ValidationError("--connections must be at least 1") }
        if let rate = self.rate, Self.schedule(rate, ramp: self.ramp.flatMap(Self.timeAmount)) == nil {
            throw ValidationError("--rate \(rate): a positive number of requests per second, or FROM:TO with --ramp")
        }
        if self.ramp != nil, self.rate?.contains(":") != true { throw ValidationError("--ramp needs --rate FROM:TO") }
        if let threads = self.threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
        if let requests = self.requests, requests < 1 { throw ValidationError("--requests must be at least 1") }
        guard (1...1000).contains(self.streams) else { throw ValidationError("--streams must be between 1 and 1000") }
        if self.streams != 1 && !self.http2 { throw ValidationError("--streams needs --http2") }
        for (name, text) in [("--duration", self.duration), ("--warmup", self.warmup), ("--timeout", self.timeout), ("--ramp", self.ramp)] {
            guard let text else { continue }
            guard Self.timeAmount(text) != nil else { throw ValidationError("\(name): \(text) is not a duration like 10s, 2m or 500ms") }
        }
        for line in self.header where Self.headerField(line) == nil {
            throw ValidationError("--header \(line): not \"Name: value\"")
        }
        if let basic = self.basic, !basic.contains(":") { throw ValidationError("--basic must be user:password") }
        guard (1...10_000_000).contains(self.basicUnique) else { throw ValidationError("--basic-unique must be between 1 and 10000000") }
        if self.basicUnique != 1 {
            guard let basic = self.basic else { throw ValidationError("--basic-unique needs --basic") }
            guard basic.contains("{i}") else { throw ValidationError("--basic-unique needs {i} in --basic, e.g. 'user{i}:password{i}'") }
        }
        for kind in self.invalid where !Self.invalidKinds.contains(kind) {
            throw ValidationError("--invalid \(kind): one of \(Self.invalidKinds.joined(separator: ", "))")
        }
        if self.invalid.contains("expired"), self.jwtKey == nil { throw ValidationError("--invalid expired needs --jwt-key (the tokens are signed with it)") }
        guard (1...10_000_000).contains(self.jwtUnique) else { throw ValidationError("--jwt-unique must be between 1 and 10000000") }
        if self.jwtKey == nil {
            for (name, given) in [("--jwt-alg", self.jwtAlg != nil), ("--jwt-claim", !self.jwtClaim.isEmpty), ("--jwt-unique", self.jwtUnique != 1),
                ("--jwt-key-password", self.jwtKeyPassword != nil)] where given {
                throw ValidationError("\(name) needs --jwt-key")
            }
        }
        _ = try LoadTestCredentials.jwtClaims(self.jwtClaim)
        if self.insecure && self.cacert != nil { throw ValidationError("--insecure and --cacert: give one") }
    }

    func run() async throws {
        let target: LoadTestTarget
        do {
            target = try LoadTestTarget(url: self.url)
        } catch {
            printError("error: \(error)")
            throw ExitStatus.invalid
        }
        var transport = LoadTestTransport.cleartext
        if target.secure {
            transport = try self.tlsTransport(for: target)
        } else if self.insecure || self.cacert != nil {
            printError("error: --insecure and --cacert are for https:// targets")
            throw ExitStatus.invalid
        }
        if self.http2 { transport.http2Streams = self.streams }
        let duration = self.duration.flatMap(Self.timeAmount) ?? (self.requests == nil ? .seconds(10) : .hours(24 * 365))
        let warmup = Self.timeAmount(self.warmup) ?? .zero
        let timeout = Self.timeAmount(self.timeout) ?? .seconds(10)
        let credentials = try await LoadTestCredentials(command: self, lifetime: warmup + duration + timeout).prepare()
        do {
            try await self.run(credentials, target: target, transport: transport, duration: duration, warmup: warmup, timeout: timeout)
            await credentials.shutdown()
        } catch {
            await credentials.shutdown()
            throw error
        }
    }

    private func run(
        _ credentials: LoadTestCredentials.Prepared,
        target: LoadTestTarget,
        transport: LoadTestTransport,
        duration: TimeAmount,
        warmup: TimeAmount,
        timeout: TimeAmount
    ) async throws {
        var classes = credentials.classes
        if let mix = self.mix {
            do {
                try Self.apply(mix: mix, to: &classes)
            } catch {
                printError("error: --mix \(mix): \(error.message)")
                throw ExitStatus.invalid
            }
        }
        for rule in self.expect {
            let parts = rule.split(separator: "=", maxSplits: 1)
            guard parts.count == 2, let code = Int(parts[1]), (100...599).contains(code),
                let index = classes.firstIndex(where: { $0.name == parts[0] })
            else {
                printError("error: --expect \(rule): not CLASS=CODE for a class of this run (\(classes.map(\.name).joined(separator: ", ")))")
                throw ExitStatus.invalid
            }
            classes[index].expectation = .status(code)
        }
        let plan = LoadTestPlan(
            target: target,
            model: self.rate.flatMap { Self.schedule($0, ramp: self.ramp.flatMap(Self.timeAmount)) }.map { .openLoop($0) } ?? .closedLoop,
            connections: self.connections,
            threads: self.threads ?? System.coreCount,
            duration: duration,
            warmup: warmup,
            timeout: timeout,
            classes: classes,
            requestLimit: self.requests,
            transport: transport
        )
        let output = try LoadTestOutput(plan: plan, intervalLogPath: self.intervalLog, quiet: self.quiet)
        var before: String?
        if let url = self.metrics { before = try await Self.scrape(url) }
        if !self.quiet, warmup.nanoseconds > 0 { printError("warming up for \(self.warmup)...") }
        let report: LoadTestReport
        do {
            report = try await LoadTest.run(plan, renewals: credentials.renewals) { progress in await output.record(progress) }
        } catch {
            await output.finish()
            printError("error: \(self.url): \(error)")
            throw ExitStatus.runtime
        }
        await output.finish()
        printOutput(report.table)
        if let url = self.metrics, let before {
            let delta = MetricsDelta(before: before, after: try await Self.scrape(url))
            printOutput("gateway counters grown during the run (warm-up included):")
            for line in delta.lines { printOutput("  " + line) }
            for line in Self.expectedMisses(report: report, delta: delta) { printOutput(line) }
        }
        try LoadTestOutput.write(report: report, json: self.json, hgrm: self.hgrm, svg: self.svg, target: self.url)
        if !report.passed {
            printError("error: a class's answers were not the status it expects")
            throw ExitStatus.invalid
        }
    }

    /// The client TLS context for an https target: ALPN h2 or http/1.1, the system's trust
    /// roots, `--cacert`'s, or none with `--insecure`.
    private func tlsTransport(for target: LoadTestTarget) throws -> LoadTestTransport {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.applicationProtocols = self.http2 ? ["h2"] : ["http/1.1"]
        if self.insecure { configuration.certificateVerification = .none }
        if let path = self.cacert {
            do {
                configuration.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(path))
            } catch {
                printError("error: --cacert \(path): not a readable PEM certificate file")
                throw ExitStatus.invalid
            }
        }
        do {
            // SNI names hosts, never addresses (RFC 6066 §3); an address is checked against the
            // certificate's IP entries.
            let isAddress = (try? SocketAddress(ipAddress: target.host, port: 0)) != nil
            return LoadTestTransport(tls: try NIOSSLContext(configuration: configuration), serverHostname: isAddress ? nil : target.host)
        } catch {
            printError("error: TLS: \(error)")
            throw ExitStatus.invalid
        }
    }

    /// "jwt cache misses N ≈ expected M": what the jwt class's distinct tokens and the invalid
    /// JWT kinds (never cached: each an expensive miss) should have cost the gateway's JWT cache;
    /// and, when the gateway introspected tokens, what the oauth2 class's tokens should have cost
    /// its introspection cache.
    static func expectedMisses(report: LoadTestReport, delta: MetricsDelta) -> [String] {
        Self.expectedJWTMisses(report: report, delta: delta) + Self.expectedIntrospectionMisses(report: report, delta: delta)
    }

    /// "introspection cache misses N ≈ expected M": one per token the oauth2 class sent (the
    /// first, and each renewed one), when the gateway's introspection cache was asked at all.
    private static func expectedIntrospectionMisses(report: LoadTestReport, delta: MetricsDelta) -> [String] {
        guard let oauth2 = report.plan.classes.firstIndex(where: { $0.name == "oauth2" }),
            let misses = delta.grown.first(where: { $0.series == "portcullis_cache_lookups_total{cache=\"introspection\",result=\"miss\"}" })?.by
        else { return [] }
        let tokens = report.credentialsUsed[oauth2]
        return [
            "introspection cache misses \(Int(misses)) ≈ expected \(tokens) (\(tokens) oauth2 tokens, renewals and warm-up included; "
                + "more when requests with a new token come before its first answer is cached)"
        ]
    }

    private static func expectedJWTMisses(report: LoadTestReport, delta: MetricsDelta) -> [String] {
        let classes = report.plan.classes
        guard let jwt = classes.firstIndex(where: { $0.name == "jwt" }) else { return [] }
        var expected = report.credentialsUsed[jwt]
        var parts = ["\(report.credentialsUsed[jwt]) distinct jwt tokens"]
        for (index, requestClass) in classes.enumerated() where ["invalid-expired", "invalid-bad-signature"].contains(requestClass.name) {
            expected += report.sent[index]
            parts.append("\(report.sent[index]) \(requestClass.name)")
        }
        let misses = delta.grown.first { $0.series == "portcullis_cache_lookups_total{cache=\"jwt\",result=\"miss\"}" }?.by ?? 0
        var lines = [
            "jwt cache misses \(Int(misses)) ≈ expected \(expected) (\(parts.joined(separator: " + ")), warm-up included; "
                + "more when the gateway's JWT cache is smaller than the distinct tokens)"
        ]
        let others = classes.indices.filter { ["bearer", "oauth2"].contains(classes[$0].name) }
        if !others.isEmpty {
            let sent = others.map { "\(report.sent[$0]) \(classes[$0].name)" }.joined(separator: " + ")
            lines.append("  (plus up to \(sent) requests, whose tokens miss the JWT cache too where the service tries a JWT entry on them first)")
        }
        return lines
    }

    private struct MixError: Error {
        let message: String
    }

    /// Sets each class's weight from `mix` (`name=share,...`); `invalid` is shared by the
    /// invalid-KIND classes. Every class must get a share.
    private static func apply(mix: String, to classes: inout [RequestClass]) throws(MixError) {
        let invalidCount = classes.filter { $0.name.hasPrefix("invalid-") }.count
        var shares: [String: Int] = [:]
        for item in mix.split(separator: ",") {
            let parts = item.split(separator: "=", maxSplits: 1)
            guard parts.count == 2, let share = Int(parts[1]), share > 0 else { throw MixError(message: "\(item) is not NAME=SHARE") }
            shares[String(parts[0])] = share
        }
        for index in classes.indices {
            let name = classes[index].name
            if name.hasPrefix("invalid-"), let share = shares["invalid"] {
                // Scaled so that the split stays whole: every other share is multiplied alike.
                classes[index].weight = share
            } else if let share = shares[name] {
                classes[index].weight = share * max(invalidCount, 1)
            } else {
                throw MixError(message: "no share for \(name)")
            }
        }
        let known = Set(classes.map(\.name)).union(invalidCount > 0 ? ["invalid"] : [])
        if let unknown = shares.keys.sorted().first(where: { !known.contains($0) }) {
            throw MixError(message: "\(unknown) is not a class of this run (\(known.sorted().joined(separator: ", ")))")
        }
    }

    /// The exposition at `url`; a failure ends the run (exit 2) with the reason.
    private static func scrape(_ url: String) async throws -> String {
        do {
            let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: url), timeout: .seconds(10))
            guard response.status == .ok else {
                printError("error: --metrics \(url): \(response.status.code)")
                throw ExitStatus.runtime
            }
            return String(buffer: try await response.body.collect(upTo: 16 << 20))
        } catch let exit as ExitCode {
            throw exit
        } catch {
            printError("error: --metrics \(url): \(error)")
            throw ExitStatus.runtime
        }
    }

    /// `--rate R`, or `--rate FROM:TO` with `--ramp`.
    static func schedule(_ rate: String, ramp: TimeAmount?) -> RateSchedule? {
        let parts = rate.split(separator: ":", omittingEmptySubsequences: false)
        let rates = parts.compactMap { Double($0) }
        guard rates.count == parts.count, rates.allSatisfy({ $0.isFinite && $0 >= 0 }) else { return nil }
        switch rates.count {
        case 1:
            return rates[0] > 0 ? RateSchedule(rate: rates[0]) : nil
        case 2:
            guard let ramp, ramp.nanoseconds > 0, rates[1] > 0 else { return nil }
            return RateSchedule(from: rates[0], to: rates[1], over: ramp.nanoseconds)
        default:
            return nil
        }
    }

    /// `10s`, `2m`, `500ms`, `1.5s`.
    static func timeAmount(_ text: String) -> TimeAmount? {
        let units: [(String, Double)] = [("ms", 1e6), ("s", 1e9), ("m", 60e9), ("h", 3600e9)]
        for (suffix, scale) in units where text.hasSuffix(suffix) {
            guard let value = Double(text.dropLast(suffix.count)), value >= 0, value.isFinite, value * scale < 9e18 else { return nil }
            return .nanoseconds(Int64(value * scale))
        }
        return nil
    }

    static func headerField(_ line: String) -> (String, String)? {
        guard let colon = line.firstIndex(of: ":") else { return nil }
        let name = line[..<colon]
        let value = line[line.index(after: colon)...].drop { $0 == " " }
        guard !name.isEmpty, name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" }),
            !value.contains("\r"), !value.contains("\n")
        else { return nil }
        return (String(name), String(value))
    }
}
