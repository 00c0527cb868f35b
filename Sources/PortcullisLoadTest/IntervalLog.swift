import Histogram
import NIOCore

/// An HdrHistogram interval log (format 1.3): one line per class per interval of measured time,
/// the corrected histogram tagged with the class's name and the uncorrected one with
/// `NAME-uncorrected`, times in seconds from the start of the measured time and values in
/// milliseconds (the stored histograms hold nanoseconds). Logs of several runs merge with
/// HdrHistogram's tools.
public struct IntervalLog: Sendable {
    let classNames: [String]
    let warmupNanoseconds: Int64

    public init(plan: LoadTestPlan) {
        self.classNames = plan.classes.map(\.name)
        self.warmupNanoseconds = plan.warmup.nanoseconds
    }

    /// The log's header; `startTime` is the measured time's start in seconds since the epoch,
    /// `date` the same instant written for people.
    public func header(startTime: Double, date: String) -> String {
        """
        #[Logged with portcullis loadtest]
        #[Histogram log format version 1.3]
        #[StartTime: \(Self.decimal(startTime)) (seconds since epoch), \(date)]
        #[BaseTime: \(Self.decimal(startTime)) (seconds since epoch)]
        #[MaxValueDivisor: 1000000.000]
        "StartTimestamp","Interval_Length","Interval_Max","Interval_Compressed_Histogram"

        """
    }

    /// The lines of one interval: one per class that had answers, corrected and uncorrected.
    public func lines(for progress: LoadTestProgress) -> String {
        let start = Self.decimal(Double(progress.startNanoseconds - self.warmupNanoseconds) / 1e9)
        let length = Self.decimal(Double(progress.lengthNanoseconds) / 1e9)
        var text = ""
        for (name, statistics) in zip(self.classNames, progress.classes) where statistics.count > 0 {
            for (tag, histogram) in [(name, statistics.corrected), (name + "-uncorrected", statistics.uncorrected)] {
                let max = Self.decimal(Double(histogram.max) / 1e6)
                text += "Tag=\(tag),\(start),\(length),\(max),\(HistogramLogEncoding.compressedBase64(histogram))\n"
            }
        }
        return text
    }

    /// Three decimals, without Foundation.
    static func decimal(_ value: Double) -> String {
        let thousandths = Int64((value * 1000).rounded())
        let sign = thousandths < 0 ? "-" : ""
        let magnitude = thousandths.magnitude
        let fraction = String(magnitude % 1000)
        return sign + "\(magnitude / 1000)." + String(repeating: "0", count: 3 - fraction.count) + fraction
    }
}
