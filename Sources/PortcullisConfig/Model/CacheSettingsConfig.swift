/// Ballerina's `cache:CacheConfig` for a verified-credential cache.
public struct CacheSettingsConfig: Sendable, Equatable {
    /// `capacity`: the most entries; `0` turns the cache off.
    public var capacity: Int
    /// `defaultMaxAge` (seconds): the longest an entry is trusted. Token entries also end at the
    /// token's own expiry, whichever comes first.
    public var maxAgeSeconds: Double

    public static let defaultCapacity = 10_000
    public static let defaultMaxAgeSeconds: Double = 300

    public init(capacity: Int = Self.defaultCapacity, maxAgeSeconds: Double = Self.defaultMaxAgeSeconds) {
        self.capacity = capacity
        self.maxAgeSeconds = maxAgeSeconds
    }
}
