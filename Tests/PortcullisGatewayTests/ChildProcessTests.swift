import Foundation
import PortcullisTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The test support's child processes: what the servers and tools the tests start get from the
/// test process, and what they do not.
@Suite("Child processes")
struct ChildProcessTests {
    @Test("a child gets its three standard streams and no other descriptor, and every standard signal at its default, unblocked")
    func inheritsNothingElse() throws {
        // The test process ignores SIGPIPE (as NIO sets it) and holds descriptors of its own,
        // some without close-on-exec, like this pipe.
        signal(SIGPIPE, SIG_IGN)
        var held: [Int32] = [0, 0]
        #expect(pipe(&held) == 0)
        defer {
            close(held[0])
            close(held[1])
        }
        // The shell lists its own descriptors while it waits for ls.
        let descriptors = try ExternalTool.run("sh", ["-c", "ls /proc/$$/fd"])
        #expect(descriptors.status == 0, "\(descriptors.stderr)")
        #expect(descriptors.stdout.split(separator: "\n").sorted() == ["0", "1", "2"], "\(descriptors.stdout)")
        // grep reads its own masks, as it got them (a shell would show the signals it blocks
        // itself around its children).
        let status = try ExternalTool.run("grep", ["-E", "^Sig(Ign|Blk)", "/proc/self/status"])
        #expect(status.status == 0, "\(status.stderr)")
        let lines = status.stdout.split(separator: "\n").map(String.init)
        // Signals 1–31 (bits 0–30 of the masks): none ignored, none blocked. Beyond them are the C
        // library's own real-time signals, which it sets up itself.
        func mask(_ name: String) -> UInt64? {
            lines.first { $0.hasPrefix(name + ":") }.flatMap { UInt64($0.dropFirst(name.count + 1).trimmingCharacters(in: .whitespaces), radix: 16) }
        }
        let ignored = try #require(mask("SigIgn"), "\(status.stdout)")
        let blocked = try #require(mask("SigBlk"), "\(status.stdout)")
        #expect(ignored & 0x7FFF_FFFF == 0, "SigIgn \(String(ignored, radix: 16))")
        #expect(blocked & 0x7FFF_FFFF == 0, "SigBlk \(String(blocked, radix: 16))")
    }

    @Test("exit codes and ending signals are told apart, and a stopped child is waited for")
    func exitStatus() async throws {
        #expect(try ExternalTool.run("sh", ["-c", "exit 3"]).status == 3)
        let child = try ChildProcess("/bin/sleep", arguments: ["30"])
        #expect(child.isRunning)
        await child.stop(signal: SIGTERM)
        #expect(!child.isRunning)
        #expect(child.waitUntilExit() == SIGTERM)
    }
}
