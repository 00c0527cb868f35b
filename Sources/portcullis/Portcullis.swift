import ArgumentParser

/// The `portcullis` command line: the gateway and its tools.
@main
struct Portcullis: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "portcullis",
        abstract: "An authentication and authorization gateway for HTTP APIs.",
        subcommands: [ServeCommand.self, CheckCommand.self, HashPasswordCommand.self, TokenCommand.self, LoadTestCommand.self, ProbeCommand.self],
        defaultSubcommand: nil
    )

    /// Runs the command, mapping usage errors to exit code 1 (the contract's "invalid input")
    /// instead of ArgumentParser's 64.
    static func main() async {
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            let code = exitCode(for: error)
            if code == .validationFailure {
                printError(fullMessage(for: error))
                self.exit(withError: ExitStatus.invalid)
            }
            self.exit(withError: error)
        }
    }
}

/// Exit codes of the contract (§2).
enum ExitStatus {
    /// Invalid input or configuration.
    static let invalid = ExitCode(1)
    /// Runtime failure: port in use, file unreadable.
    static let runtime = ExitCode(2)
}
