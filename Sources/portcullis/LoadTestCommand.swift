import ArgumentParser
import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import PortcullisLoadTest

/// `portcullis loadtest URL`: load with credentials per class and latency measured honestly
/// (from each request's intended send time at a constant rate).
struct LoadTestCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "loadtest",
        abstract: "Load an HTTP target, per credential class, with coordinated-omission-corrected latency.",
        discussion: """
            Without --rate, each connection sends its next request as soon as the previous answer \
            arrived (the most the target does). With --rate, requests leave at that constant rate and \
            each latency is measured from the request's intended send time; the uncorrected figures \
            are shown beside. Credential classes (--basic, --bearer) share the requests equally, each \
            with its own histograms; a class whose answers are not the expected status (2xx unless \
            --expect says otherwise) fails the run (exit 1).
            """
    )

    @Argument(help: "The target, http://host[:port]/path.")
    var url: String

    @Option(name: .long, help: "Requests per second (open loop); without it, a closed loop.")
    var rate: Double?

    @Option(name: .long, help: "Connections to keep open.")
    var connections: Int = 64

    @Option(name: .long, help: "Event-loop threads (default: cores).")
    var threads: Int?

    @Option(name: .long, help: "Measured time, e.g. 10s, 2m, 500ms.")
    var duration: String = "10s"

    @Option(name: .long, help: "Time before the measured time, excluded from every result and count.")
    var warmup: String = "0s"

    @Option(name: .long, help: "A request unanswered this long counts as timed out.")
    var timeout: String = "10s"

    @Option(name: .long, help: "A class named basic: Basic credentials user:pass.")
    var basic: String?

    @Option(name: .long, help: "A class named bearer: this bearer token.")
    var bearer: String?

    @Option(
        name: .long,
        parsing: .singleValue,
        help: "A class invalid-KIND expecting 401 (repeatable): garbage, unknown-user, bad-signature (of --bearer's JWT, or of a made-up one)."
    )
    var invalid: [String] = []

    @Option(name: .long, help: "Shares, e.g. basic=50,bearer=40,invalid=10 (invalid is split evenly among the --invalid kinds).")
    var mix: String?

    @Option(name: .long, parsing: .singleValue, help: "A header sent with every request, \"Name: value\" (repeatable).")
    var header: [String] = []

    @Option(name: .long, parsing: .singleValue, help: "CLASS=CODE: the status CLASS's answers must have (repeatable).")
    var expect: [String] = []

    @Option(name: .long, help: "Write the report as JSON to this file.")
    var json: String?

    @Option(name: .long, help: "The gateway's metrics URL: its cache, auth-decision and IdP counters are scraped before and after, and what grew is printed.")
    var metrics: String?

    func validate() throws {
        guard self.connections >= 1 else { throw ValidationError("--connections must be at least 1") }
        if let rate = self.rate, !(rate > 0 && rate.isFinite) { throw ValidationError("--rate must be a positive number") }
        if let threads = self.threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
        for (name, text) in [("--duration", self.duration), ("--warmup", self.warmup), ("--timeout", self.timeout)] {
            guard Self.timeAmount(text) != nil else { throw ValidationError("\(name): \(text) is not a duration like 10s, 2m or 500ms") }
        }
        for line in self.header where Self.headerField(line) == nil {
            throw ValidationError("--header \(line): not \"Name: value\"")
        }
        if let basic = self.basic, !basic.contains(":") { throw ValidationError("--basic must be user:password") }
        for kind in self.invalid where !Self.invalidKinds.contains(kind) {
            throw ValidationError("--invalid \(kind): one of \(Self.invalidKinds.joined(separator: ", "))")
        }
    }

    static let invalidKinds = ["garbage", "unknown-user", "bad-signature"]

    func run() async throws {
        let target: LoadTestTarget
        do {
            target = try LoadTestTarget(url: self.url)
        } catch {
            printError("error: \(error)")
            throw ExitStatus.invalid
        }
        let common = self.header.compactMap(Self.headerField)
        var classes: [RequestClass] = []
        if let basic = self.basic {
            classes.append(RequestClass(name: "basic", headers: common + [("authorization", "Basic " + Data(basic.utf8).base64EncodedString())]))
        }
        if let bearer = self.bearer {
            classes.append(RequestClass(name: "bearer", headers: common + [("authorization", "Bearer " + bearer)]))
        }
        if classes.isEmpty && self.invalid.isEmpty { classes.append(RequestClass(name: "default", headers: common)) }
        for kind in Self.uniqued(self.invalid) {
            classes.append(RequestClass(name: "invalid-\(kind)", headers: common + [self.invalidCredential(kind)], expectation: .status(401)))
        }
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
            model: self.rate.map { .constantRate($0) } ?? .closedLoop,
            connections: self.connections,
            threads: self.threads ?? System.coreCount,
            duration: Self.timeAmount(self.duration) ?? .seconds(10),
            warmup: Self.timeAmount(self.warmup) ?? .zero,
            timeout: Self.timeAmount(self.timeout) ?? .seconds(10),
            classes: classes
        )
        var before: String?
        if let url = self.metrics { before = try await Self.scrape(url) }
        let report: LoadTestReport
        do {
            report = try await LoadTest.run(plan)
        } catch {
            printError("error: \(self.url): \(error)")
            throw ExitStatus.runtime
        }
        printOutput(report.table)
        if let url = self.metrics, let before {
            let delta = MetricsDelta(before: before, after: try await Self.scrape(url))
            printOutput("gateway counters grown during the run (warm-up included):")
            for line in delta.lines { printOutput("  " + line) }
        }
        if let path = self.json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            do {
                try encoder.encode(report.json).write(to: URL(fileURLWithPath: path))
            } catch {
                printError("error: \(path): \(error)")
                throw ExitStatus.runtime
            }
        }
        if !report.passed {
            printError("error: a class's answers were not the status it expects")
            throw ExitStatus.invalid
        }
    }

    /// The `Authorization` field of an invalid kind.
    private func invalidCredential(_ kind: String) -> (String, String) {
        switch kind {
        case "unknown-user":
            let name = "nobody-" + String(UInt64.random(in: 0...UInt64.max), radix: 36)
            return ("authorization", "Basic " + Data("\(name):not-a-password".utf8).base64EncodedString())
        case "bad-signature":
            // A well-formed JWT whose signature is wrong: --bearer's with its signature altered, or
            // a made-up RS256 token.
            var token = self.bearer.flatMap { $0.split(separator: ".").count == 3 ? $0 : nil }
                ?? "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJsb2FkdGVzdCIsImV4cCI6NDEwMjQ0NDgwMH0.c2lnbmF0dXJl"
            let last = token.removeLast()
            token.append(last == "A" ? "B" : "A")
            return ("authorization", "Bearer " + token)
        default:
            return ("authorization", "Bearer !!not-a-token!!")
        }
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

    private static func uniqued(_ kinds: [String]) -> [String] {
        var seen = Set<String>()
        return kinds.filter { seen.insert($0).inserted }
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

    /// `10s`, `2m`, `500ms`, `1.5s`.
    static func timeAmount(_ text: String) -> TimeAmount? {
        let units: [(String, Double)] = [("ms", 1e6), ("s", 1e9), ("m", 60e9), ("h", 3600e9)]
        for (suffix, scale) in units where text.hasSuffix(suffix) {
            guard let value = Double(text.dropLast(suffix.count)), value >= 0, value.isFinite else { return nil }
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
