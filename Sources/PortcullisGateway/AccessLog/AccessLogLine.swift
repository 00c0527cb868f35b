import Crypto
import NIOCore
import PortcullisAuth
import PortcullisConfig

/// What the access log says about one request.
///
/// Never the `Authorization` header, cookies, bodies, passwords or tokens; the query string is
/// cut from the path (it may carry tokens); for a refused Basic attempt the user name appears only
/// as a keyed hash (``userHash(_:)``), so failed logins can be grouped by name without the log
/// holding names that may be passwords typed in the wrong field.
struct AccessLogLine {
    var client: String?
    var method: String
    /// The request target as received; the query is left out when written.
    var target: String
    var status: UInt = 0
    /// Response body bytes sent.
    var bytes: Int = 0
    var duration: TimeAmount = .zero
    /// From the upstream request's start to the upstream's response head; `nil` when not proxied.
    var upstream: TimeAmount?
    var service: String?
    var auth: String?
    var outcome: String?
    /// Why a request was refused: a failure code (`wrong_password`, `unknown_user`, ...),
    /// `insufficient_scope` for a 403.
    var reason: String?
    /// Who the request was authenticated as (allowed requests only).
    var subject: String?
    var userHash: String?
    /// The user name a Basic request presented: hashed into ``userHash`` if it is refused, never
    /// written itself.
    var basicUser: String?

    /// Takes the auth facts of `decision`.
    mutating func record(_ decision: PolicyDecision) {
        self.auth = decision.method?.rawValue
        self.outcome = decision.outcome.rawValue
        switch decision.outcome {
        case .allowed:
            self.subject = decision.principal?.subject
        case .forbidden:
            self.reason = "insufficient_scope"
        case .unauthenticated, .unavailable:
            let failure = decision.failures.first { $0.code != .missingCredentials } ?? decision.failures.first
            self.reason = failure?.code.name
        }
        if decision.outcome != .allowed, let user = self.basicUser {
            self.userHash = Self.userHash(user)
        }
        self.basicUser = nil
    }

    /// The key of ``userHash(_:)``: random per process, so hashes cannot be looked up elsewhere.
    private static let userHashKey = SymmetricKey(size: .bits256)

    /// The first 16 hex digits of HMAC-SHA256(`name`) under this process's random key.
    static func userHash(_ name: String) -> String {
        HMAC<SHA256>.authenticationCode(for: Array(name.utf8), using: Self.userHashKey).prefix(8).lowercaseHexadecimal
    }

    /// Writes the line (with its newline) in `format`, `time` being its RFC 3339 timestamp.
    func write(_ format: AccessLogConfig.Format, time: ByteBuffer, into buffer: inout ByteBuffer) {
        var fields = FieldWriter(format: format, buffer: buffer)
        fields.begin()
        fields.raw("time", time)
        fields.string("client", self.client)
        fields.string("method", self.method)
        fields.string("path", self.path)
        fields.number("status", String(self.status))
        fields.number("bytes", String(self.bytes))
        fields.number("duration_ms", Self.milliseconds(self.duration))
        fields.number("upstream_ms", self.upstream.map(Self.milliseconds))
        fields.string("service", self.service)
        fields.string("auth", self.auth)
        fields.string("outcome", self.outcome)
        fields.string("reason", self.reason)
        fields.string("subject", self.subject)
        fields.string("user_hash", self.userHash)
        fields.end()
        buffer = fields.buffer
    }

    /// The target without its query.
    private var path: Substring {
        let target = self.target[...]
        return target.firstIndex(of: "?").map { target[..<$0] } ?? target
    }

    /// Milliseconds with three decimals.
    private static func milliseconds(_ amount: TimeAmount) -> String {
        let micros = max(0, amount.nanoseconds / 1000)
        let fraction = micros % 1000
        let padding = fraction < 10 ? "00" : fraction < 100 ? "0" : ""
        return "\(micros / 1000).\(padding)\(fraction)"
    }

    /// Writes `key`/value pairs as one JSON object or as `key=value` text.
    private struct FieldWriter {
        let format: AccessLogConfig.Format
        var buffer: ByteBuffer
        var first = true

        mutating func begin() {
            if self.format == .json { self.buffer.writeStaticString("{") }
        }

        mutating func end() {
            self.buffer.writeStaticString(self.format == .json ? "}\n" : "\n")
        }

        private mutating func key(_ key: StaticString) {
            if !self.first { self.buffer.writeStaticString(self.format == .json ? "," : " ") }
            self.first = false
            if self.format == .json {
                self.buffer.writeStaticString("\"")
                self.buffer.writeStaticString(key)
                self.buffer.writeStaticString("\":")
            } else {
                self.buffer.writeStaticString(key)
                self.buffer.writeStaticString("=")
            }
        }

        mutating func raw(_ key: StaticString, _ value: ByteBuffer) {
            self.key(key)
            if self.format == .json { self.buffer.writeStaticString("\"") }
            self.buffer.writeImmutableBuffer(value)
            if self.format == .json { self.buffer.writeStaticString("\"") }
        }

        mutating func number(_ key: StaticString, _ value: String?) {
            guard let value else { return }
            self.key(key)
            self.buffer.writeString(value)
        }

        mutating func string(_ key: StaticString, _ value: (some StringProtocol)?) {
            guard let value else { return }
            self.key(key)
            // Text values are bare unless they hold a space, a quote, `=` or a control character.
            let quoted = self.format == .json || value.utf8.contains { $0 <= 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "=") || $0 == 0x7F }
            if quoted { self.buffer.writeStaticString("\"") }
            for byte in value.utf8 {
                switch byte {
                case UInt8(ascii: "\""): self.buffer.writeStaticString("\\\"")
                case UInt8(ascii: "\\"): self.buffer.writeStaticString("\\\\")
                case 0..<0x20, 0x7F:
                    self.buffer.writeStaticString("\\u00")
                    self.buffer.writeInteger(Self.hex(byte >> 4))
                    self.buffer.writeInteger(Self.hex(byte & 0xF))
                default: self.buffer.writeInteger(byte)
                }
            }
            if quoted { self.buffer.writeStaticString("\"") }
        }

        private static func hex(_ nibble: UInt8) -> UInt8 {
            nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "a") + nibble - 10
        }
    }
}
