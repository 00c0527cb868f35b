import NIOCore

/// A principal cached until a wall-clock time: what the token caches (JWT, introspection) hold.
struct CachedPrincipal: Sendable {
    var principal: Principal
    /// Seconds since the epoch.
    var expiresAt: Double
}

extension BoundedCache where Value == CachedPrincipal {
    /// The principal cached for `key` while `now` (wall clock) is before its expiry; an entry
    /// at or past it is removed.
    ///
    /// The entry's own deadline already ends there on the monotonic clock; checking the wall clock
    /// too keeps "never past exp" true whatever either clock does.
    func principal(for key: Key, now: Double) -> Principal? {
        guard let cached = self.value(for: key) else { return nil }
        if cached.expiresAt > now {
            return cached.principal
        }
        self.remove(key)
        return nil
    }

    /// Caches `principal` for `lifetime` seconds from `now` (wall clock), on both clocks; a
    /// lifetime that is not positive caches nothing.
    func insert(_ principal: Principal, for key: Key, lifetime: Double, now: Double) {
        guard lifetime > 0 else { return }
        let start = NIODeadline.now()
        self.insert(
            CachedPrincipal(principal: principal, expiresAt: now + lifetime),
            for: key,
            expiresAt: start + .nanoseconds(Int64(lifetime * 1e9)),
            now: start
        )
    }
}
