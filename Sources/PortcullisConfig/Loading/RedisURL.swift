/// Reads `redis://[[user]:password@]host[:port][/database]` (the scheme IANA registered for
/// Redis, as redis-cli and the client libraries read it): userinfo percent-decoded, an IPv6 host
/// in brackets. `rediss://` (TLS) is refused with its own message: the throttling store does not
/// speak TLS yet.
enum RedisURL {
    /// The server the URL names, or why it names none. Messages never repeat the URL, which may
    /// hold a password.
    static func parse(_ text: String) -> Result<ThrottlingConfig.Redis, ConfigValueError> {
        if text.hasPrefix("rediss://") {
            return .failure(ConfigValueError("uses TLS (rediss://), which the throttling store does not support yet: use redis:// on a trusted network"))
        }
        guard text.hasPrefix("redis://") else {
            return .failure(ConfigValueError("must be a redis:// URL"))
        }
        var rest = Substring(text.dropFirst("redis://".count))
        var path = ""
        if let slash = rest.firstIndex(of: "/") {
            path = String(rest[rest.index(after: slash)...])
            rest = rest[..<slash]
        }
        var username: String?
        var password: String?
        if let at = rest.lastIndex(of: "@") {
            let userinfo = rest[..<at]
            rest = rest[rest.index(after: at)...]
            let user: Substring
            let secret: Substring
            if let colon = userinfo.firstIndex(of: ":") {
                user = userinfo[..<colon]
                secret = userinfo[userinfo.index(after: colon)...]
            } else {
                // `redis://secret@host`, as redis-py reads it: a lone userinfo is the password.
                user = ""
                secret = userinfo
            }
            guard let decodedUser = Self.percentDecoded(user), let decodedSecret = Self.percentDecoded(secret) else {
                return .failure(ConfigValueError("has a user or password with an invalid percent-escape"))
            }
            username = decodedUser.isEmpty ? nil : decodedUser
            password = decodedSecret.isEmpty ? nil : decodedSecret
            if username != nil, password == nil {
                return .failure(ConfigValueError("names a user without a password"))
            }
        }
        var host: Substring
        var portText: Substring?
        if rest.hasPrefix("[") {
            guard let close = rest.firstIndex(of: "]") else { return .failure(ConfigValueError("has an IPv6 host without its closing ]")) }
            host = rest[rest.index(after: rest.startIndex)..<close]
            let after = rest[rest.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { return .failure(ConfigValueError("has text after its IPv6 host")) }
                portText = after.dropFirst()
            }
        } else if let colon = rest.lastIndex(of: ":") {
            host = rest[..<colon]
            portText = rest[rest.index(after: colon)...]
        } else {
            host = rest
        }
        guard !host.isEmpty, host.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-._:".contains($0)) }) else {
            return .failure(ConfigValueError("must name a host"))
        }
        var port = 6379
        if let portText {
            guard let value = Int(portText), (1...65535).contains(value) else {
                return .failure(ConfigValueError("has a port outside 1...65535"))
            }
            port = value
        }
        var database = 0
        if !path.isEmpty {
            guard let value = Int(path), (0...65535).contains(value) else {
                return .failure(ConfigValueError("has a database that is not a number (redis://host:port/0)"))
            }
            database = value
        }
        return .success(ThrottlingConfig.Redis(host: String(host), port: port, username: username, password: password, database: database))
    }

    /// `%XX` escapes decoded; `nil` for a malformed escape or bytes that are not UTF-8.
    private static func percentDecoded(_ text: Substring) -> String? {
        var bytes: [UInt8] = []
        var iterator = text.utf8.makeIterator()
        while let byte = iterator.next() {
            guard byte == UInt8(ascii: "%") else {
                bytes.append(byte)
                continue
            }
            guard let high = iterator.next().flatMap(Self.hexValue), let low = iterator.next().flatMap(Self.hexValue) else { return nil }
            bytes.append(high << 4 | low)
        }
        return String(validating: bytes, as: UTF8.self)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
