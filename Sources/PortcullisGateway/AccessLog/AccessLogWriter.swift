import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import PortcullisConfig
import PortcullisMetrics

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes access-log lines to a file or standard error on a thread of its own, so no event loop
/// ever blocks on the disk.
///
/// Event loops hand over whole buffers of lines (``AccessLogBuffer``); what is waiting to be
/// written is bounded by ``queueLimit``, and a buffer that would go over it is dropped and its
/// lines counted (`portcullis_access_log_dropped_lines_total`), so a slow disk costs log lines,
/// never request latency.
final class AccessLogWriter: Sendable {
    /// The most bytes waiting to be written.
    static let queueLimit = 8 << 20

    let config: AccessLogConfig
    private let thread: NIOThreadPool
    private let queued = NIOLockedValueBox(0)
    /// The file written to; only the writer thread uses it after start.
    private let descriptor: NIOLockedValueBox<Int32>
    private let metrics: PortcullisMetrics

    /// Opens the log (creating the file, mode 0640, appending).
    ///
    /// - Throws: ``ConfigError`` naming `accessLog.path` when the file cannot be opened.
    init(config: AccessLogConfig, metrics: PortcullisMetrics, source: GatewayConfig) throws(ConfigError) {
        self.config = config
        self.metrics = metrics
        let descriptor = Self.openFile(config.path)
        guard descriptor >= 0 else {
            let path = ConfigPath.root.appending("accessLog").appending("path")
            throw ConfigError(diagnostics: [
                ConfigDiagnostic(
                    file: source.sourceName,
                    line: source.line(of: path),
                    path: path,
                    message: "\(config.path ?? "-"): cannot be opened for appending (\(String(cString: strerror(errno))))"
                )
            ])
        }
        self.descriptor = NIOLockedValueBox(descriptor)
        self.thread = NIOThreadPool(numberOfThreads: 1)
        self.thread.start()
    }

    private static func openFile(_ path: String?) -> Int32 {
        guard let path else { return STDERR_FILENO }
        return open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o640)
    }

    /// Queues `bytes` (`lines` lines) for writing; drops them when too much is waiting already.
    func submit(_ bytes: ByteBuffer, lines: Int) {
        let size = bytes.readableBytes
        let accepted = self.queued.withLockedValue { queued in
            guard queued + size <= Self.queueLimit else { return false }
            queued += size
            return true
        }
        guard accepted else {
            self.metrics.recordAccessLogDropped(lines: lines)
            return
        }
        // Written even when the pool calls it `.cancelled` (at shutdown, lines still count).
        self.thread.submit { _ in
            defer { self.queued.withLockedValue { $0 -= size } }
            let descriptor = self.descriptor.withLockedValue { $0 }
            bytes.withUnsafeReadableBytes { raw in
                guard let base = raw.baseAddress else { return }
                var offset = 0
                while offset < raw.count {
                    let written = write(descriptor, base + offset, raw.count - offset)
                    if written > 0 {
                        offset += written
                    } else if written < 0 && errno == EINTR {
                        continue
                    } else {
                        return
                    }
                }
            }
        }
    }

    /// Opens the file again (after logrotate moved it away), in order with the writes queued
    /// before; standard error is left as it is.
    func reopen() {
        guard self.config.path != nil else { return }
        self.thread.submit { _ in
            let fresh = Self.openFile(self.config.path)
            guard fresh >= 0 else { return }
            let old = self.descriptor.withLockedValue { descriptor in
                defer { descriptor = fresh }
                return descriptor
            }
            close(old)
        }
    }

    /// Writes what is queued, then closes the file.
    func shutdown() async {
        // The pool's one thread takes work in order: once this runs, everything before it is written.
        _ = try? await self.thread.runIfActive {}
        try? await self.thread.shutdownGracefully()
        let descriptor = self.descriptor.withLockedValue { $0 }
        if descriptor != STDERR_FILENO { close(descriptor) }
    }
}
