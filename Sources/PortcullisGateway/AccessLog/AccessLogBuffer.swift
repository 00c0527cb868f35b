#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import NIOCore
import PortcullisConfig

/// One event loop's access-log lines not yet handed to the ``AccessLogWriter``.
///
/// Lines are formatted on the loop into one buffer (no lock, no task per line) and handed over
/// when it passes ``handOverSize`` or at the loop's next tick, so a line reaches the writer
/// within a quarter of a second.
///
/// - Important: Used on its loop only.
final class AccessLogBuffer {
    static let handOverSize = 64 * 1024

    let writer: AccessLogWriter
    private var buffer = ByteBuffer()
    private var lines = 0
    /// `YYYY-MM-DDTHH:MM:SS` of ``second``.
    private var secondText = ByteBuffer()
    private var second = -1

    init(writer: AccessLogWriter) {
        self.writer = writer
    }

    func append(_ line: AccessLogLine) {
        line.write(self.writer.config.format, time: self.timestamp(), into: &self.buffer)
        self.lines += 1
        if self.buffer.readableBytes >= Self.handOverSize {
            self.handOver()
        }
    }

    /// Hands what is buffered to the writer.
    func handOver() {
        guard self.lines > 0 else { return }
        self.writer.submit(self.buffer, lines: self.lines)
        self.buffer = ByteBuffer()
        self.lines = 0
    }

    /// Now in RFC 3339, UTC, with milliseconds: `2026-12-01T20:30:12.345Z`.
    private func timestamp() -> ByteBuffer {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        if now.tv_sec != self.second {
            self.second = now.tv_sec
            var seconds = now.tv_sec
            var parts = tm()
            gmtime_r(&seconds, &parts)
            func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
            self.secondText = ByteBuffer(
                string: "\(1900 + Int(parts.tm_year))-\(two(parts.tm_mon + 1))-\(two(parts.tm_mday))T"
                    + "\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec))"
            )
        }
        var stamp = self.secondText
        let millis = Int(now.tv_nsec / 1_000_000)
        stamp.writeString(millis < 10 ? ".00\(millis)Z" : millis < 100 ? ".0\(millis)Z" : ".\(millis)Z")
        return stamp
    }
}
