import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A server process a fixture starts (slapd, the OAuth2 server) and stops, waiting for its exit
/// without polling.
package final class ChildProcess: @unchecked Sendable {
    private let process: Process
    private let exited: AsyncStream<Void>

    /// Starts `executable`; `configure` sets its arguments and standard streams first.
    package init(_ executable: String, configure: (Process) throws -> Void) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        try configure(process)
        let (exited, exitSink) = AsyncStream.makeStream(of: Void.self)
        process.terminationHandler = { _ in exitSink.finish() }
        try process.run()
        self.process = process
        self.exited = exited
    }

    package var isRunning: Bool { self.process.isRunning }

    /// Sends `signal` (a pause or a resume, say) unless the process has ended.
    package func signal(_ signal: Int32) {
        if self.process.isRunning {
            kill(self.process.processIdentifier, signal)
        }
    }

    /// Sends `signal` unless the process has already ended, and waits for its exit.
    package func stop(signal: Int32) async {
        if self.process.isRunning {
            kill(self.process.processIdentifier, signal)
        }
        for await _ in self.exited {}
    }
}
