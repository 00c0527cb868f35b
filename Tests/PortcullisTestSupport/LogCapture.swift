import Logging
import Synchronization

/// Keeps every line logged through ``logger`` (message and metadata), so a test can check what an
/// operator would read, and what must never be there.
package final class LogCapture: Sendable {
    private let lines = Mutex<[String]>([])
    private let level: Logger.Level

    /// - Parameter level: the lowest level kept (`.debug` shows why each request was refused).
    package init(level: Logger.Level = .info) {
        self.level = level
    }

    package var logger: Logger {
        var logger = Logger(label: "portcullis-test") { label in Handler(label: label, capture: self) }
        logger.logLevel = self.level
        return logger
    }

    /// Everything logged so far, one line per event.
    package var text: String { self.lines.withLock { $0.joined(separator: "\n") } }

    fileprivate func append(_ line: String) {
        self.lines.withLock { $0.append(line) }
    }

    private struct Handler: LogHandler {
        let label: String
        let capture: LogCapture
        var logLevel: Logger.Level = .info
        var metadata: Logger.Metadata = [:]

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { self.metadata[key] }
            set { self.metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            var metadata = self.metadata
            if let explicit = event.metadata { metadata.merge(explicit) { _, explicit in explicit } }
            let rendered = metadata.sorted { $0.key < $1.key }.map { " \($0.key)=\($0.value)" }.joined()
            self.capture.append("\(event.level)\(rendered) \(event.message)")
        }
    }
}
