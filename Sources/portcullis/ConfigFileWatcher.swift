import Foundation
import Logging

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// `serve --watch`: polls the configuration file once a second and asks for a reload when it
/// changed.
///
/// It compares the modification time *and* the resolved path, because Kubernetes updates a
/// mounted ConfigMap by swapping a symlink (`..data`) to a new directory: the path the gateway
/// was given never changes, what it resolves to does, and the new file may carry an old mtime.
struct ConfigFileWatcher: Sendable {
    let path: String
    let logger: Logger
    let changed: @Sendable () -> Void
    /// How often the file is looked at.
    var interval: Duration = .seconds(1)

    init(path: String, logger: Logger, changed: @escaping @Sendable () -> Void) {
        self.path = path
        self.logger = logger
        self.changed = changed
    }

    /// What identifies one version of the file.
    struct Version: Equatable {
        var resolvedPath: String?
        var modified: Date?
        var size: Int?
    }

    static func version(of path: String) -> Version {
        var version = Version()
        if let resolved = realpath(path, nil) {
            version.resolvedPath = String(cString: resolved)
            free(resolved)
        }
        if let attributes = try? FileManager.default.attributesOfItem(atPath: path) {
            version.modified = attributes[.modificationDate] as? Date
            version.size = (attributes[.size] as? NSNumber)?.intValue
        }
        return version
    }

    /// Polls until the task is cancelled.
    func run() async {
        var seen = Self.version(of: self.path)
        while !Task.isCancelled {
            do {
                try await Task.sleep(for: self.interval)
            } catch {
                return
            }
            let now = Self.version(of: self.path)
            guard now != seen else { continue }
            seen = now
            self.logger.info("configuration file changed: reloading", metadata: ["file": "\(self.path)"])
            self.changed()
        }
    }
}
