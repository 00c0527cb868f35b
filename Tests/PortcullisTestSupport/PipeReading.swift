import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Reading a child's pipe on a thread of its own, through `read(2)` with `EINTR` retried.
///
/// swift-corelibs-foundation's `availableData` and `readDataToEndOfFile()` end in a `try!`: a read
/// interrupted by a signal (a child process stopped or ended: `SIGCHLD`) crashed the whole test
/// process ("Interrupted system call" at FileHandle.swift:699, seen in a full local run).
extension FileHandle {
    /// The next bytes, as many as one `read(2)` gives (up to 64 KiB); empty at end of file or on
    /// an error other than an interruption.
    package func readChunk() -> Data {
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let count = buffer.withUnsafeMutableBytes { Glibc.read(self.fileDescriptor, $0.baseAddress, $0.count) }
            if count >= 0 { return Data(buffer[0..<count]) }
            if errno != EINTR { return Data() }
        }
    }

    /// Every byte up to end of file.
    package func readToEndOfFile() -> Data {
        var data = Data()
        while true {
            let chunk = self.readChunk()
            if chunk.isEmpty { return data }
            data.append(chunk)
        }
    }
}
