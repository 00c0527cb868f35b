@testable import PortcullisConfig

/// The `FILE:LINE: key.path: message` lines of the ``ConfigError`` that `parse` throws, or none
/// when it succeeds (any other error becomes one line, so a test sees it instead of passing).
func collectDiagnostics(_ parse: () throws -> GatewayConfig) -> [String] {
    do {
        _ = try parse()
        return []
    } catch let error as ConfigError {
        return error.diagnostics.map(\.description)
    } catch {
        return ["\(error)"]
    }
}
