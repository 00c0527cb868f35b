import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A child process of a test (a server, a tool, the built `portcullis`), started with
/// `posix_spawn` rather than Foundation's `Process`.
///
/// swift-corelibs-foundation's `Process.run()` in Swift 6.3.1 lists `/proc/self/fd` with a
/// 256-byte over-read of each `dirent` (swiftlang/swift-corelibs-foundation#5472, merged after
/// 6.3.1); it crashed whole test runs now and then with a SIGSEGV there, while many descriptors
/// were open.
///
/// The child gets its three standard streams and nothing else: every other descriptor is closed
/// in it (`posix_spawn_file_actions_addclosefrom_np`). So no child holds another child's pipe
/// open, which would keep that pipe's reader waiting for an end of file until the holder exits.
/// Every signal starts at its default disposition and unmasked: the test process ignores SIGPIPE
/// (NIO sets that), and an ignored signal would otherwise stay ignored across `exec`.
package final class ChildProcess: @unchecked Sendable {
    /// What one of the child's standard streams is.
    package enum Stream {
        /// `/dev/null`.
        case null
        /// A file or descriptor the parent keeps open too (a log file, say).
        case file(FileHandle)
        /// The child's end of `pipe` (the read end for its input, the write end for its output);
        /// the parent closes its copy once the child has started, so that the other end sees
        /// the child's exit.
        case pipe(Pipe)
    }

    package struct SpawnError: Error, CustomStringConvertible {
        package let executable: String
        package let errno: Int32

        package var description: String { "cannot start \(self.executable): \(String(cString: strerror(self.errno)))" }
    }

    package let processIdentifier: pid_t
    private let state = NSCondition()
    /// The exit status once the child has ended: its exit code, or the signal that ended it.
    private var status: Int32?
    private var waiters: [CheckedContinuation<Int32, Never>] = []

    /// Starts `executable` (an absolute path) with `arguments`.
    ///
    /// - Parameter environment: the child's whole environment; `nil`: this process's.
    package init(
        _ executable: String,
        arguments: [String],
        environment: [String: String]? = nil,
        standardInput: Stream = .null,
        standardOutput: Stream = .null,
        standardError: Stream = .null
    ) throws {
        let null = open("/dev/null", O_RDWR | O_CLOEXEC)
        guard null >= 0 else { throw SpawnError(executable: executable, errno: errno) }
        defer { close(null) }
        func descriptor(_ stream: Stream, input: Bool) -> Int32 {
            switch stream {
            case .null: null
            case .file(let handle): handle.fileDescriptor
            case .pipe(let pipe): (input ? pipe.fileHandleForReading : pipe.fileHandleForWriting).fileDescriptor
            }
        }

        /// Each stream, the descriptor it becomes in the child, and whether the child reads it.
        let streams = [(standardInput, Int32(0), true), (standardOutput, 1, false), (standardError, 2, false)]

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        for (stream, target, input) in streams {
            posix_spawn_file_actions_adddup2(&actions, descriptor(stream, input: input), target)
        }
        Self.closeOthers(&actions)

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var every = sigset_t()
        sigfillset(&every)
        posix_spawnattr_setsigdefault(&attributes, &every)
        var none = sigset_t()
        sigemptyset(&none)
        posix_spawnattr_setsigmask(&attributes, &none)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))

        let environment = environment ?? ProcessInfo.processInfo.environment
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            for pointer in argv + envp { free(pointer) }
        }
        var pid = pid_t()
        let result = posix_spawn(&pid, executable, &actions, &attributes, argv, envp)
        guard result == 0 else { throw SpawnError(executable: executable, errno: result) }
        self.processIdentifier = pid

        for (stream, _, input) in streams {
            if case .pipe(let pipe) = stream {
                try? (input ? pipe.fileHandleForReading : pipe.fileHandleForWriting).close()
            }
        }
        Thread.detachNewThread { [self] in self.reap() }
    }

    /// Whether the child has not ended yet.
    package var isRunning: Bool {
        self.state.withLock { self.status == nil }
    }

    /// Sends `signal` unless the child has ended (and been reaped).
    package func signal(_ signal: Int32) {
        self.state.withLock {
            if self.status == nil { kill(self.processIdentifier, signal) }
        }
    }

    /// Sends `signal` unless the child has already ended, and waits for its end.
    package func stop(signal: Int32) async {
        self.signal(signal)
        _ = await self.waitForExit()
    }

    /// Blocks until the child has ended; its exit code, or the signal that ended it.
    package func waitUntilExit() -> Int32 {
        self.state.lock()
        defer { self.state.unlock() }
        while true {
            if let status = self.status { return status }
            self.state.wait()
        }
    }

    /// Waits until the child has ended; its exit code, or the signal that ended it.
    package func waitForExit() async -> Int32 {
        await withCheckedContinuation { continuation in
            self.state.lock()
            if let status = self.status {
                self.state.unlock()
                continuation.resume(returning: status)
            } else {
                self.waiters.append(continuation)
                self.state.unlock()
            }
        }
    }

    /// Waits for the child's end on a thread of its own, then tells every waiter.
    private func reap() {
        var raw: Int32 = 0
        while waitpid(self.processIdentifier, &raw, 0) < 0 && errno == EINTR {}
        // The exit code when it exited (low seven bits zero), else the signal that ended it.
        let status = raw & 0x7F == 0 ? (raw >> 8) & 0xFF : raw & 0x7F
        self.state.lock()
        self.status = status
        let waiters = self.waiters
        self.waiters = []
        self.state.broadcast()
        self.state.unlock()
        for waiter in waiters { waiter.resume(returning: status) }
    }

    private typealias CloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32

    /// glibc's `posix_spawn_file_actions_addclosefrom_np` (2.34 and later), which the Glibc module
    /// does not declare.
    private static let closeFrom: CloseFrom? = dlsym(nil, "posix_spawn_file_actions_addclosefrom_np").map {
        unsafeBitCast($0, to: CloseFrom.self)
    }

    /// Closes every descriptor from 3 up in the child.
    private static func closeOthers(_ actions: inout posix_spawn_file_actions_t) {
        if let closeFrom = Self.closeFrom, closeFrom(&actions, 3) == 0 { return }
        // An older C library: each descriptor open now (a close of one that is not is ignored).
        let open = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
        for descriptor in open.compactMap({ Int32($0) }) where descriptor > 2 {
            posix_spawn_file_actions_addclose(&actions, descriptor)
        }
    }
}
