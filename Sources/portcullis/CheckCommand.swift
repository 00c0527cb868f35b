import ArgumentParser
import PortcullisConfig
import PortcullisGateway

/// `portcullis check --config FILE`: validates a configuration without serving it.
struct CheckCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Validate a configuration file; print every error as FILE:LINE: key.path: message."
    )

    @Option(name: .long, help: "The configuration file (TOML).")
    var config: String

    func run() async throws {
        let (loaded, warnings) = try await ConfigSource.check(self.config)
        for warning in warnings {
            printError("\(warning.file):\(warning.line): \(warning.path): warning: \(warning.message)")
        }
        printOutput("\(self.config): OK (\(loaded.services.count) services, \(loaded.users.count) users)")
    }
}
