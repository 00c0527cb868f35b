import Foundation

/// Runs the built `portcullis` executable, as users and scripts do.
package struct CommandRunner {
    /// The executable beside the test bundle (`swift build` puts both in one folder), unless
    /// `PORTCULLIS_BIN` names another.
    package static var executable: URL {
        if let path = ProcessInfo.processInfo.environment["PORTCULLIS_BIN"] {
            return URL(fileURLWithPath: path)
        }
        let testBinary = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        var folder = testBinary.deletingLastPathComponent()
        // On Linux the runner is .build/<triple>/debug/<name>.xctest; on macOS it sits inside a bundle.
        while !FileManager.default.fileExists(atPath: folder.appendingPathComponent("portcullis").path), folder.path != "/" {
            folder = folder.deletingLastPathComponent()
        }
        return folder.appendingPathComponent("portcullis")
    }

    package struct Result {
        package var status: Int32
        package var stdout: String
        package var stderr: String
    }

    /// Runs to completion with `input` on standard input (blocks; see ``runAsync(_:input:)``).
    package static func run(_ arguments: [String], input: String = "") throws -> Result {
        try ExternalTool.run(self.executable.path, arguments, input: input)
    }

    /// ``run(_:input:)`` off the cooperative pool.
    package static func runAsync(_ arguments: [String], input: String = "") async throws -> Result {
        try await ExternalTool.runAsync(self.executable.path, arguments, input: input)
    }

    /// Writes `text` to a new temporary file and returns its path.
    package static func temporaryFile(_ text: String, name: String = "portcullis.toml") throws -> String {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("portcullis-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let file = folder.appendingPathComponent(name)
        try Data(text.utf8).write(to: file)
        return file.path
    }
}

/// A `portcullis serve` process whose log is read line by line.
package final class ServeProcess: @unchecked Sendable {
    package let process: ChildProcess
    private let lines: AsyncStream<String>

    package init(arguments: [String]) throws {
        let stderr = Pipe()
        self.process = try ChildProcess(CommandRunner.executable.path, arguments: arguments, standardError: .pipe(stderr))
        let (lines, sink) = AsyncStream.makeStream(of: String.self)
        self.lines = lines
        let handle = stderr.fileHandleForReading
        Thread.detachNewThread {
            var pending = Data()
            while true {
                let chunk = handle.readChunk()
                if chunk.isEmpty { break }
                pending.append(chunk)
                while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                    sink.yield(String(decoding: pending[pending.startIndex..<newline], as: UTF8.self))
                    pending = Data(pending[(newline + 1)...])
                }
            }
            sink.finish()
        }
    }

    /// Reads the log until a line contains `marker`; returns that line, or `nil` at end of output.
    package func waitForLine(containing marker: String) async -> String? {
        for await line in self.lines where line.contains(marker) {
            return line
        }
        return nil
    }

    /// Reads the log until the gateway reports its listening address; returns the bound port, or
    /// `nil` if the process ends first.
    package func waitForGatewayPort() async -> Int? {
        guard let line = await self.waitForLine(containing: "gateway listening") else { return nil }
        return line.split(separator: ":").last.flatMap { Int($0.prefix(while: \.isNumber)) }
    }

    package func signal(_ signal: Int32) {
        self.process.signal(signal)
    }

    /// Waits for the process to exit and returns its status.
    package func waitForExit() async -> Int32 {
        await self.process.waitForExit()
    }
}
