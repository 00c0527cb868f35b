/// When an open loop's requests are due: a constant rate, or a linear ramp from one rate to
/// another that starts when the measured time starts (the warm-up runs at the first rate) and
/// holds the last rate once it is over.
public struct RateSchedule: Sendable, Equatable {
    /// Requests per second at the start (and through the warm-up).
    public var startRate: Double
    /// Requests per second at the end of the ramp, and after it.
    public var endRate: Double
    /// The ramp's length in nanoseconds; zero for a constant rate.
    public var rampNanoseconds: Int64

    /// A constant rate.
    public init(rate: Double) {
        self.init(from: rate, to: rate, over: 0)
    }

    /// A ramp from `from` to `to` requests per second over `over` nanoseconds.
    public init(from: Double, to: Double, over: Int64) {
        self.startRate = from
        self.endRate = to
        self.rampNanoseconds = over > 0 && from != to ? over : 0
    }

    /// The same schedule for one of `parts` equal shares (one event loop's).
    func share(of parts: Int) -> RateSchedule {
        RateSchedule(from: self.startRate / Double(parts), to: self.endRate / Double(parts), over: self.rampNanoseconds)
    }

    /// Requests the schedule holds in the first `nanoseconds` after the measured time starts.
    public func requests(inFirst nanoseconds: Int64) -> Double {
        let seconds = Double(nanoseconds) / 1e9
        let ramp = Double(self.rampNanoseconds) / 1e9
        guard ramp > 0 else { return self.startRate * seconds }
        if seconds <= ramp {
            return self.startRate * seconds + (self.endRate - self.startRate) * seconds * seconds / (2 * ramp)
        }
        return (self.startRate + self.endRate) / 2 * ramp + self.endRate * (seconds - ramp)
    }

    /// When request `index` (from 0, the first of the warm-up) is due: nanoseconds after the
    /// run's start, with `warmup` nanoseconds of warm-up before the measured time.
    func offset(ofRequest index: Int, warmup: Int64) -> Int64 {
        let k = Double(index)
        let warmupRequests = self.startRate * Double(warmup) / 1e9
        if k < warmupRequests {
            return Int64((k / self.startRate * 1e9).rounded(.down))
        }
        let measured = k - warmupRequests
        let ramp = Double(self.rampNanoseconds) / 1e9
        let seconds: Double
        let rampRequests = (self.startRate + self.endRate) / 2 * ramp
        if ramp > 0 && measured < rampRequests {
            // r0·t + (r1 − r0)·t² / 2T = k, solved for t (the root at or after zero).
            let a = (self.endRate - self.startRate) / (2 * ramp)
            seconds = (-self.startRate + (self.startRate * self.startRate + 4 * a * measured).squareRoot()) / (2 * a)
        } else {
            seconds = ramp + (measured - rampRequests) / self.endRate
        }
        return warmup + Int64((seconds * 1e9).rounded(.down))
    }
}
