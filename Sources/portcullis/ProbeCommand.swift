import ArgumentParser
import AsyncHTTPClient
import NIOCore
import NIOHTTP1

/// `portcullis probe [URL]`: exit 0 when the URL answers 200 in time, 1 otherwise.
///
/// A container's `HEALTHCHECK` runs it against `/livez`, so the image needs no curl.
struct ProbeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "probe",
        abstract: "Exit 0 when URL (default: the metrics listener's /livez) answers 200 within the timeout."
    )

    @Argument(help: "The URL to ask.")
    var url = "http://127.0.0.1:9797/livez"

    @Option(name: .long, help: "Seconds to wait for the answer.")
    var timeout: Double = 2

    func validate() throws {
        guard self.url.hasPrefix("http://") || self.url.hasPrefix("https://") else {
            throw ValidationError("URL must start with http:// or https://")
        }
        guard self.timeout > 0, self.timeout <= 300 else {
            throw ValidationError("--timeout must be between 0 and 300 seconds")
        }
    }

    func run() async throws {
        let status: UInt
        do {
            let response = try await HTTPClient.shared.execute(
                HTTPClientRequest(url: self.url),
                timeout: .milliseconds(Int64(self.timeout * 1000))
            )
            status = response.status.code
        } catch {
            printError("\(self.url): \(error)")
            throw ExitStatus.invalid
        }
        guard status == 200 else {
            printError("\(self.url): \(status)")
            throw ExitStatus.invalid
        }
        printOutput("\(self.url): 200")
    }
}
