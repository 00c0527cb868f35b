import CLDAP
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import PortcullisAuth

/// One connection to a directory through OpenLDAP's libldap, LDAP v3.
///
/// Every call blocks the calling thread until the directory answers or a timeout ends it: use a
/// connection only on a thread made for blocking work (``BlockingWorkPool``), never on an event
/// loop or the cooperative pool, and from one thread at a time (it is not `Sendable`).
///
/// - The connect timeout is libldap's network timeout; the operation timeout bounds each bind and
///   search, so a directory that accepts but does not answer cannot hold a thread forever.
/// - `ldaps://` verifies the server against `caFile` when given (else the system's roots) and
///   demands a valid certificate and name; only `verifyServer: false` (the configuration's
///   `disable = true`) skips that.
/// - Referrals are not chased (they would take credentials to another server).
public final class LDAPConnection {
    private let handle: OpaquePointer
    private let operationTimeout: timeval
    private let usesTLS: Bool

    /// Connects lazily: libldap opens the socket with the first operation.
    ///
    /// - Parameters:
    ///   - url: `ldap://host:port` or `ldaps://host:port`.
    ///   - connectTimeoutSeconds: how long opening the connection may take.
    ///   - operationTimeoutSeconds: how long one bind or search may take.
    ///   - caFile: PEM certificates trusted for `ldaps://` (`nil`: the system's roots).
    ///   - verifyServer: `false` accepts any server certificate (never the default).
    public init(
        url: String,
        connectTimeoutSeconds: Double,
        operationTimeoutSeconds: Double,
        caFile: String? = nil,
        verifyServer: Bool = true
    ) throws(LDAPError) {
        var handle: OpaquePointer?
        let initialized = ldap_initialize(&handle, url)
        guard initialized == LDAP_SUCCESS, let handle else {
            throw .failed(code: initialized, message: "cannot use \(url): \(String(cString: ldap_err2string(initialized)))")
        }
        self.handle = handle
        self.operationTimeout = Self.makeTimeval(seconds: operationTimeoutSeconds)
        self.usesTLS = url.lowercased().hasPrefix("ldaps://")
        var version = LDAP_VERSION3
        var network = Self.makeTimeval(seconds: connectTimeoutSeconds)
        var operation = self.operationTimeout
        var demand = verifyServer ? LDAP_OPT_X_TLS_DEMAND : LDAP_OPT_X_TLS_NEVER
        var newContext: Int32 = 0
        var failures: [String] = []
        func set(_ option: Int32, _ value: UnsafeRawPointer?, _ name: String) {
            if ldap_set_option(handle, option, value) != LDAP_OPT_SUCCESS { failures.append(name) }
        }
        set(LDAP_OPT_PROTOCOL_VERSION, &version, "protocol version")
        set(LDAP_OPT_NETWORK_TIMEOUT, &network, "network timeout")
        set(LDAP_OPT_TIMEOUT, &operation, "operation timeout")
        // LDAP_OPT_OFF is a null pointer.
        set(LDAP_OPT_REFERRALS, nil, "referrals")
        if self.usesTLS {
            set(LDAP_OPT_X_TLS_REQUIRE_CERT, &demand, "TLS certificate demand")
            if let caFile, verifyServer {
                set(LDAP_OPT_X_TLS_CACERTFILE, caFile, "TLS CA file")
            }
            // Options above take effect in a new TLS context.
            set(LDAP_OPT_X_TLS_NEWCTX, &newContext, "TLS context")
        }
        guard failures.isEmpty else {
            ldap_unbind_ext_s(handle, nil, nil)
            throw .failed(code: LDAP_OTHER, message: "libldap refused the \(failures.joined(separator: ", ")) option")
        }
    }

    deinit {
        ldap_unbind_ext_s(self.handle, nil, nil)
    }

    /// A simple bind (RFC 4513 §5.1.3).
    ///
    /// - Important: An empty password is refused here, before the directory sees it: a simple bind
    ///   with a name and no password is an unauthenticated bind that many directories accept.
    public func bind(dn: String, password: String) throws(LDAPError) {
        guard !password.isEmpty else { throw .invalidCredentials }
        var bytes = Array(password.utf8)
        let result = bytes.withUnsafeMutableBytes { buffer in
            guard let start = buffer.baseAddress else { return LDAP_INVALID_CREDENTIALS }
            var credentials = berval(bv_len: ber_len_t(buffer.count), bv_val: start.assumingMemoryBound(to: CChar.self))
            // LDAP_SASL_SIMPLE is a null mechanism.
            return ldap_sasl_bind_s(self.handle, dn, nil, &credentials, nil, nil, nil)
        }
        // Do not leave the password in a buffer we own longer than needed.
        for index in bytes.indices { bytes[index] = 0 }
        try self.check(result, "bind")
    }

    /// Who the directory thinks this connection is bound as (RFC 4532), e.g. `dn:cn=gateway,...`.
    public func whoAmI() throws(LDAPError) -> String {
        var identity: UnsafeMutablePointer<berval>?
        let result = ldap_whoami_s(self.handle, &identity, nil, nil)
        defer { if let identity { ber_bvfree(identity) } }
        try self.check(result, "who am I")
        guard let identity, let start = identity.pointee.bv_val else { return "" }
        let bytes = UnsafeRawBufferPointer(start: start, count: Int(identity.pointee.bv_len))
        return String(decoding: bytes, as: UTF8.self)
    }

    /// A subtree search under `base`; the values of `attributes` for every entry found.
    public func search(base: String, filter: String, attributes: [String], sizeLimit: Int32 = 0) throws(LDAPError) -> [LDAPEntry] {
        var message: OpaquePointer?
        var timeout = self.operationTimeout
        let result: Int32 = withCStrings(attributes) { names in
            ldap_search_ext_s(self.handle, base, LDAP_SCOPE_SUBTREE, filter, names, 0, nil, nil, &timeout, sizeLimit, &message)
        }
        defer { if let message { ldap_msgfree(message) } }
        // A size limit reached still returns the entries found so far.
        if result != LDAP_SIZELIMIT_EXCEEDED {
            try self.check(result, "search under \(base)")
        }
        var entries: [LDAPEntry] = []
        var entry = ldap_first_entry(self.handle, message)
        while let current = entry {
            var dn = ""
            if let pointer = ldap_get_dn(self.handle, current) {
                dn = String(cString: pointer)
                ldap_memfree(pointer)
            }
            var values: [String: [String]] = [:]
            for name in attributes {
                guard let list = ldap_get_values_len(self.handle, current, name) else { continue }
                var index = 0
                while let value = list[index] {
                    let buffer = UnsafeRawBufferPointer(start: value.pointee.bv_val, count: Int(value.pointee.bv_len))
                    if let text = String(validating: buffer.bindMemory(to: UInt8.self), as: UTF8.self) {
                        values[name, default: []].append(text)
                    }
                    index += 1
                }
                ldap_value_free_len(list)
            }
            entries.append(LDAPEntry(dn: dn, attributes: values))
            entry = ldap_next_entry(self.handle, current)
        }
        return entries
    }

    private func check(_ result: Int32, _ operation: String) throws(LDAPError) {
        switch result {
        case LDAP_SUCCESS:
            return
        case LDAP_INVALID_CREDENTIALS:
            throw .invalidCredentials
        case LDAP_SERVER_DOWN where self.usesTLS, LDAP_CONNECT_ERROR where self.usesTLS:
            // libldap (GnuTLS) says no more than "unknown error code" when it refuses a certificate.
            throw .unavailable(
                "\(operation): \(self.diagnostic(result)); with ldaps:// this is also what an untrusted server certificate, "
                    + "or one that does not name the host of the URL, looks like"
            )
        case LDAP_SERVER_DOWN, LDAP_TIMEOUT, LDAP_CONNECT_ERROR, LDAP_UNAVAILABLE, LDAP_BUSY, LDAP_TIMELIMIT_EXCEEDED:
            throw .unavailable("\(operation): \(self.diagnostic(result))")
        default:
            throw .failed(code: result, message: "\(operation): \(self.diagnostic(result))")
        }
    }

    /// libldap's text for `result`, with the server's diagnostic message when there is one.
    private func diagnostic(_ result: Int32) -> String {
        var text = String(cString: ldap_err2string(result))
        var detail: UnsafeMutablePointer<CChar>?
        if ldap_get_option(self.handle, LDAP_OPT_DIAGNOSTIC_MESSAGE, &detail) == LDAP_OPT_SUCCESS, let detail {
            let message = String(cString: detail)
            if !message.isEmpty { text += " (\(message))" }
            ldap_memfree(detail)
        }
        return text
    }

    private static func makeTimeval(seconds: Double) -> timeval {
        let whole = seconds.rounded(.down)
        return timeval(tv_sec: Int(whole), tv_usec: Int((seconds - whole) * 1_000_000))
    }
}

/// Calls `body` with `strings` as a NULL-terminated array of C strings.
private func withCStrings<Result>(_ strings: [String], _ body: (UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Result) -> Result {
    var pointers: [UnsafeMutablePointer<CChar>?] = strings.map { strdup($0) }
    pointers.append(nil)
    defer { for pointer in pointers { free(pointer) } }
    return pointers.withUnsafeMutableBufferPointer { body($0.baseAddress) }
}
