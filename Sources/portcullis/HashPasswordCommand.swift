import ArgumentParser
import PortcullisAuth

/// `portcullis hash-password`: reads a password from standard input and prints its stored form.
struct HashPasswordCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hash-password",
        abstract: "Read a password from standard input and print the form [[ballerina.auth.users]] stores."
    )

    @Option(name: .long, help: "bcrypt, sha256 or sha512.")
    var algorithm: PasswordHasher.Algorithm = .bcrypt

    @Option(name: .long, help: "The bcrypt cost (4...31).")
    var cost: Int = 12

    func validate() throws {
        guard PasswordHasher.bcryptCosts.contains(self.cost) else {
            throw ValidationError("--cost must be in 4...31")
        }
    }

    func run() throws {
        guard var password = readLine(strippingNewline: true) else {
            printError("error: no password on standard input")
            throw ExitStatus.invalid
        }
        if password.hasSuffix("\r") { password.removeLast() }
        guard !password.isEmpty else {
            printError("error: the password is empty")
            throw ExitStatus.invalid
        }
        do {
            printOutput(try PasswordHasher.hash(password, algorithm: self.algorithm, cost: self.cost))
        } catch {
            printError("error: \(error)")
            throw ExitStatus.invalid
        }
    }
}

extension PasswordHasher.Algorithm: ExpressibleByArgument {}
