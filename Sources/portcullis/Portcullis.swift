import ArgumentParser

/// The `portcullis` command line: the gateway and its tools.
@main
struct Portcullis: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "portcullis",
        abstract: "An authentication and authorization gateway for HTTP APIs.",
        subcommands: [ServeCommand.self, CheckCommand.self, HashPasswordCommand.self],
        defaultSubcommand: nil
    )
}

/// Exit codes of the contract (§2).
enum ExitStatus {
    /// Invalid input or configuration.
    static let invalid = ExitCode(1)
    /// Runtime failure: port in use, file unreadable.
    static let runtime = ExitCode(2)
}
