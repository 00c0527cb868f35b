import Histogram

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A percentile-distribution plot as SVG, readable in any browser: latency (milliseconds, on a
/// log scale, so that a fast class stays readable beside a slow one) against the percentile on
/// HdrHistogram's log-scaled "1/(1-p)" axis, so that the tail (99%, 99.9%, 99.99%) gets as much
/// room as the median. One line per class, corrected solid and uncorrected dashed (an open
/// loop's; a closed loop has only the one).
struct PercentilePlot {
    struct Series {
        var name: String
        var corrected: Histogram<UInt64>
        var uncorrected: Histogram<UInt64>?
    }

    var title: String
    var subtitle: String
    var series: [Series]

    private static let width = 960.0
    private static let height = 520.0
    private static let left = 70.0
    private static let right = 280.0
    private static let top = 60.0
    private static let bottom = 50.0
    private static let colours = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf"]

    /// Points (x = log10(1/(1-p)), y = milliseconds) of a histogram's percentile walk.
    private static func points(_ histogram: Histogram<UInt64>, maxX: Double) -> [(Double, Double)] {
        guard histogram.totalCount > 0 else { return [] }
        var points: [(Double, Double)] = []
        for step in histogram.percentiles(ticksPerHalfDistance: 5) {
            let p = step.percentileLevelIteratedTo / 100
            let x = p >= 1 ? maxX : min(maxX, -log10(1 - p))
            points.append((x, Double(step.value) / 1e6))
        }
        return points
    }

    var svg: String {
        // The x axis reaches the percentile the largest class resolves (1 − 1/count), 99% to 99.999%.
        let largest = self.series.map { Double($0.corrected.totalCount) }.max() ?? 1
        let maxX = min(5, max(2, log10(largest).rounded(.up)))
        let lines = self.series.map { series in
            (Self.points(series.corrected, maxX: maxX), series.uncorrected.map { Self.points($0, maxX: maxX) } ?? [])
        }
        let values = lines.flatMap { $0.0 + $0.1 }.map(\.1).filter { $0 > 0 }
        // Whole decades from below the lowest value to above the highest.
        let lowDecade = (log10(values.min() ?? 0.1)).rounded(.down)
        let highDecade = max((log10(values.max() ?? 1)).rounded(.up), lowDecade + 1)
        let plotWidth = Self.width - Self.left - Self.right
        let plotHeight = Self.height - Self.top - Self.bottom
        func px(_ x: Double) -> Double { Self.left + x / maxX * plotWidth }
        func py(_ y: Double) -> Double {
            let decades = log10(max(y, pow(10, lowDecade))) - lowDecade
            return Self.top + plotHeight - decades / (highDecade - lowDecade) * plotHeight
        }
        let maxY = pow(10, highDecade)

        var svg = """
            <?xml version="1.0" encoding="UTF-8"?>
            <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(Self.width))" height="\(Int(Self.height))" viewBox="0 0 \(Int(Self.width)) \(Int(Self.height))" font-family="sans-serif" font-size="12">
            <rect width="100%" height="100%" fill="white"/>
            <text x="\(Self.left)" y="24" font-size="16" font-weight="bold">\(Self.escaped(self.title))</text>
            <text x="\(Self.left)" y="42" fill="#555">\(Self.escaped(self.subtitle))</text>

            """
        // Grid and axes: 1, 2 and 5 of each decade.
        for decade in Int(lowDecade)...Int(highDecade) {
            for multiple in [1.0, 2.0, 5.0] where decade < Int(highDecade) || multiple == 1 {
                let y = multiple * pow(10, Double(decade))
                let shade = multiple == 1 ? "#d0d0d0" : "#eeeeee"
                svg += "<line x1=\"\(Self.f(px(0)))\" y1=\"\(Self.f(py(y)))\" x2=\"\(Self.f(px(maxX)))\" y2=\"\(Self.f(py(y)))\" stroke=\"\(shade)\"/>\n"
                svg += "<text x=\"\(Self.f(Self.left - 6))\" y=\"\(Self.f(py(y) + 4))\" text-anchor=\"end\">\(Self.label(y))</text>\n"
            }
        }
        let percentLabels = ["0%", "90%", "99%", "99.9%", "99.99%", "99.999%"]
        for tick in 0...Int(maxX) {
            let x = px(Double(tick))
            svg += "<line x1=\"\(Self.f(x))\" y1=\"\(Self.f(py(0)))\" x2=\"\(Self.f(x))\" y2=\"\(Self.f(py(maxY)))\" stroke=\"#e4e4e4\"/>\n"
            svg += "<text x=\"\(Self.f(x))\" y=\"\(Self.f(py(0) + 18))\" text-anchor=\"middle\">\(percentLabels[tick])</text>\n"
        }
        svg += "<rect x=\"\(Self.f(px(0)))\" y=\"\(Self.f(py(maxY)))\" width=\"\(Self.f(plotWidth))\" height=\"\(Self.f(plotHeight))\" fill=\"none\" stroke=\"#333\"/>\n"
        svg += "<text x=\"\(Self.f(px(maxX / 2)))\" y=\"\(Self.f(Self.height - 10))\" text-anchor=\"middle\">percentile</text>\n"
        svg += "<text transform=\"translate(16 \(Self.f(Self.top + plotHeight / 2))) rotate(-90)\" text-anchor=\"middle\">latency (ms, log scale)</text>\n"
        // The lines and the legend.
        for (index, series) in self.series.enumerated() {
            let colour = Self.colours[index % Self.colours.count]
            let (corrected, uncorrected) = lines[index]
            let legendY = Self.top + 10 + Double(index) * 36
            let legendX = Self.width - Self.right + 16
            if !corrected.isEmpty {
                svg += "<polyline fill=\"none\" stroke=\"\(colour)\" stroke-width=\"2\" points=\"\(corrected.map { "\(Self.f(px($0.0))),\(Self.f(py($0.1)))" }.joined(separator: " "))\"/>\n"
            }
            if !uncorrected.isEmpty {
                svg += "<polyline fill=\"none\" stroke=\"\(colour)\" stroke-width=\"1.5\" stroke-dasharray=\"6 4\" points=\"\(uncorrected.map { "\(Self.f(px($0.0))),\(Self.f(py($0.1)))" }.joined(separator: " "))\"/>\n"
            }
            svg += "<line x1=\"\(Self.f(legendX))\" y1=\"\(Self.f(legendY))\" x2=\"\(Self.f(legendX + 24))\" y2=\"\(Self.f(legendY))\" stroke=\"\(colour)\" stroke-width=\"2\"/>\n"
            svg += "<text x=\"\(Self.f(legendX + 30))\" y=\"\(Self.f(legendY + 4))\">\(Self.escaped(series.name))</text>\n"
            if series.uncorrected != nil {
                svg += "<line x1=\"\(Self.f(legendX))\" y1=\"\(Self.f(legendY + 16))\" x2=\"\(Self.f(legendX + 24))\" y2=\"\(Self.f(legendY + 16))\" stroke=\"\(colour)\" stroke-width=\"1.5\" stroke-dasharray=\"6 4\"/>\n"
                svg += "<text x=\"\(Self.f(legendX + 30))\" y=\"\(Self.f(legendY + 20))\" fill=\"#555\">\(Self.escaped(series.name)), uncorrected</text>\n"
            }
        }
        svg += "</svg>\n"
        return svg
    }

    private static func label(_ value: Double) -> String {
        if value >= 1 { return String(Int(value.rounded())) }
        // 0.001 to 0.5: as many decimals as the value needs.
        var text = String(Int((value * 1000).rounded()))
        text = String(repeating: "0", count: max(0, 3 - text.count)) + text
        return "0." + text.replacingTrailingZeros()
    }

    private static func f(_ value: Double) -> String { IntervalLog.decimal(value) }

    static func escaped(_ text: String) -> String {
        var escaped = ""
        for character in text {
            switch character {
            case "&": escaped += "&amp;"
            case "<": escaped += "&lt;"
            case ">": escaped += "&gt;"
            case "\"": escaped += "&quot;"
            default: escaped.append(character)
            }
        }
        return escaped
    }
}

extension String {
    fileprivate func replacingTrailingZeros() -> String {
        var text = self
        while text.hasSuffix("0") { text.removeLast() }
        if text.hasSuffix(".") { text.removeLast() }
        return text
    }
}
