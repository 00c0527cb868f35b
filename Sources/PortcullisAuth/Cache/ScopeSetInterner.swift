import Synchronization

/// Scope lists shared among the principals a token cache holds.
///
/// The tokens of one client mostly carry the same scopes; one array for all of them saves each
/// cached token its own array block (80 bytes for two short scopes: a quarter of a cached JWT,
/// Benchmarks/e2e/cache-memory.sh). Bounded: past ``capacity`` distinct lists, new ones are
/// kept by their principals alone. Used on cache misses only, under one short lock.
package final class ScopeSetInterner: Sendable {
    /// The most distinct scope lists shared.
    package static let capacity = 1024

    private let table = Mutex<[[String]: [String]]>([:])

    package init() {}

    /// `scopes`, or an equal list already shared (whose storage the caller then shares too).
    package func intern(_ scopes: [String]) -> [String] {
        guard !scopes.isEmpty else { return scopes }
        return self.table.withLock { table in
            if let shared = table[scopes] { return shared }
            if table.count < Self.capacity { table[scopes] = scopes }
            return scopes
        }
    }
}
