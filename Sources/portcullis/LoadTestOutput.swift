import PortcullisLoadTest

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#endif

/// Where a `portcullis loadtest` run writes while it goes on (the progress line on standard
/// error, the interval log) and after it (JSON, `.hgrm` files, the SVG plot).
actor LoadTestOutput {
    private let log: IntervalLog
    /// The interval log's file descriptor, if any.
    private let logFile: Int32?
    private var logStarted = false
    private let quiet: Bool
    /// Standard error is a terminal: the progress line is redrawn in place.
    private let terminal: Bool
    private var lineShown = false

    init(plan: LoadTestPlan, intervalLogPath: String?, quiet: Bool) throws {
        self.log = IntervalLog(plan: plan)
        self.quiet = quiet
        self.terminal = isatty(2) == 1
        if let path = intervalLogPath {
            let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
            guard descriptor >= 0 else {
                printError("error: --interval-log \(path): cannot be written")
                throw ExitStatus.runtime
            }
            self.logFile = descriptor
        } else {
            self.logFile = nil
        }
    }

    /// One interval: the progress line, and its histograms into the interval log.
    func record(_ progress: LoadTestProgress) {
        if let file = self.logFile {
            if !self.logStarted {
                self.logStarted = true
                let start = Date(timeIntervalSince1970: progress.measuredStartEpochSeconds)
                Self.write(self.log.header(startTime: progress.measuredStartEpochSeconds, date: start.description), to: file)
            }
            Self.write(self.log.lines(for: progress), to: file)
        }
        guard !self.quiet, !progress.final else { return }
        if self.terminal {
            Self.write("\r\u{1B}[K" + progress.line, to: 2)
            self.lineShown = true
        } else {
            printError(progress.line)
        }
    }

    /// Ends the progress line and closes the interval log.
    func finish() {
        if self.lineShown { Self.write("\r\u{1B}[K", to: 2) }
        if let file = self.logFile { close(file) }
    }

    private static func write(_ text: String, to descriptor: Int32) {
        let bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress, $0.count) }
            guard written > 0 else { return }
            offset += written
        }
    }

    /// The files written after the run: `--json`, `--hgrm DIR`, `--svg`.
    static func write(report: LoadTestReport, json: String?, hgrm: String?, svg: String?, target: String) throws {
        func save(_ data: Data, to path: String, option: String) throws {
            do {
                try data.write(to: URL(fileURLWithPath: path))
            } catch {
                printError("error: \(option) \(path): cannot be written")
                throw ExitStatus.runtime
            }
        }
        if let path = json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            try save(try encoder.encode(report.json), to: path, option: "--json")
        }
        if let directory = hgrm {
            do {
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            } catch {
                printError("error: --hgrm \(directory): cannot be created")
                throw ExitStatus.runtime
            }
            let openLoop = report.plan.model.schedule != nil
            for (index, requestClass) in report.plan.classes.enumerated() {
                let base = URL(fileURLWithPath: directory).appendingPathComponent(requestClass.name).path
                try save(Data(report.percentileDistribution(ofClass: index).utf8), to: base + ".hgrm", option: "--hgrm")
                if openLoop {
                    try save(Data(report.percentileDistribution(ofClass: index, corrected: false).utf8), to: base + ".uncorrected.hgrm", option: "--hgrm")
                }
            }
        }
        if let path = svg {
            try save(Data(report.percentilePlot(target: target).utf8), to: path, option: "--svg")
        }
    }
}
