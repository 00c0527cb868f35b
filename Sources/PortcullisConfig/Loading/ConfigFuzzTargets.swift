/// The config loader as a fuzz target (see `AuthFuzzTargets` in PortcullisAuth for how targets
/// are run): any text is either a configuration or diagnostics that name a line and a key path.
@_spi(Fuzzing) public enum ConfigFuzzTargets {
    public static func configFile(_ bytes: [UInt8]) {
        do {
            _ = try ConfigLoader.parse(String(decoding: bytes, as: UTF8.self), file: "fuzz.toml")
        } catch {
            precondition(!error.diagnostics.isEmpty, "a refused config without a diagnostic")
            for diagnostic in error.diagnostics {
                precondition(diagnostic.line >= 1, "a diagnostic without a line")
                precondition(!diagnostic.message.isEmpty, "a diagnostic without a message")
            }
        }
    }
}
