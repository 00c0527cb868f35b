/// An immutable snapshot of the keys a JWT entry verifies with, published whole by its source.
public struct JWTKeySet: Sendable {
    private let byID: [String: JWTVerificationKey]
    /// Every key, in the order the source gave them.
    public let keys: [JWTVerificationKey]

    public init(keys: [JWTVerificationKey]) {
        self.keys = keys
        var byID: [String: JWTVerificationKey] = [:]
        for key in keys {
            if let id = key.keyID, byID[id] == nil { byID[id] = key }
        }
        self.byID = byID
    }

    public static let empty = JWTKeySet(keys: [])

    /// The key for a token's `kid`.
    ///
    /// A token without `kid` is verified with the only key when there is exactly one; a set of
    /// several keys needs the `kid` to choose (trying each would multiply the cost of a bad token).
    /// A token with a `kid` that a single, unnamed key (a `certFile`, a `secret`) does not carry is
    /// still verified with that key: `keyId` in the config is how an entry insists on a `kid`.
    public func key(for keyID: String?) -> JWTVerificationKey? {
        if let keyID, let key = self.byID[keyID] { return key }
        if self.keys.count == 1, let only = self.keys.first, keyID == nil || only.keyID == nil {
            return only
        }
        return nil
    }
}
