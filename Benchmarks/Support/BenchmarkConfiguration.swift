import Benchmark

extension Benchmark.Configuration {
    /// How every Portcullis suite measures: wall clock, throughput and allocations, ten warm-up
    /// iterations, then up to `maxIterations` samples or `maxDuration`, whichever ends first.
    /// `scalingFactor` is `.kilo` for sub-microsecond work (each sample runs it a thousand times)
    /// and `.one` for work that crosses a socket.
    public static func portcullis(
        scalingFactor: BenchmarkScalingFactor = .kilo,
        maxDuration: Duration = .seconds(2),
        maxIterations: Int = 1_000
    ) -> Benchmark.Configuration {
        .init(
            metrics: [.wallClock, .throughput, .mallocCountTotal],
            warmupIterations: 10,
            scalingFactor: scalingFactor,
            maxDuration: maxDuration,
            maxIterations: maxIterations
        )
    }
}
