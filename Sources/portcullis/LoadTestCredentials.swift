import ArgumentParser
import AsyncHTTPClient
import NIOCore
@_spi(Benchmarks) import PortcullisAuth
import PortcullisClientAuth
import PortcullisConfig
import PortcullisLoadTest
import Synchronization

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The credential classes of a `portcullis loadtest` run, made before the timed window: Basic
/// (`--basic-unique` distinct ones), bearer, minted JWTs (`--jwt-unique` distinct ones), an OAuth2
/// grant's token, and the invalid kinds that must get 401.
struct LoadTestCredentials {
    let command: LoadTestCommand
    /// How long minted tokens must stay valid: the whole run and a margin.
    let lifetime: TimeAmount
    /// `--jwt-claim`, parsed once for every token minted.
    private let claims: (iss: String?, sub: String?, aud: [String], custom: [String: ClaimValue])

    init(command: LoadTestCommand, lifetime: TimeAmount) throws(ValidationError) {
        self.command = command
        self.lifetime = lifetime
        self.claims = try Self.jwtClaims(command.jwtClaim)
    }

    /// Registered claims the load tester sets itself.
    static let setByLoadTester: Set<String> = ["exp", "nbf", "iat", "jti"]

    /// `--jwt-claim` values: `iss`, `sub` and `aud` fill the registered claims, others are custom.
    static func jwtClaims(_ written: [String]) throws(ValidationError) -> (iss: String?, sub: String?, aud: [String], custom: [String: ClaimValue]) {
        var iss: String?
        var sub: String?
        var aud: [String] = []
        var custom: [String: ClaimValue] = [:]
        var seen = Set<String>()
        for text in written {
            let (name, value) = try ClaimArgument.parse(text, option: "--jwt-claim")
            guard seen.insert(name).inserted else { throw ValidationError("--jwt-claim \(name): given twice") }
            guard !Self.setByLoadTester.contains(name) else {
                throw ValidationError("--jwt-claim \(name): set by the load tester (exp covers the run; jti tells --jwt-unique's tokens apart)")
            }
            switch (name, value) {
            case ("iss", .string(let text)): iss = text
            case ("sub", .string(let text)): sub = text
            case ("aud", .string(let text)): aud = [text]
            case ("aud", .array(let values)):
                aud = try values.map { value throws(ValidationError) in
                    guard case .string(let text) = value else { throw ValidationError("--jwt-claim aud: a string or an array of strings") }
                    return text
                }
            case ("iss", _), ("sub", _), ("aud", _):
                throw ValidationError("--jwt-claim \(name): must be a JSON string\(name == "aud" ? " or an array of strings" : "")")
            default:
                custom[name] = value
            }
        }
        return (iss, sub, aud, custom)
    }

    /// The classes of a run, and what renews their credentials while it goes on.
    struct Prepared {
        var classes: [RequestClass]
        var renewals: [CredentialRenewal] = []
        /// The OAuth2 grant's client, kept for the run: its token manager renews the token.
        var oauth2Client: AuthenticatedHTTPClient?

        /// Closes what renewed the credentials (after the run).
        func shutdown() async {
            await self.oauth2Client?.shutdown()
        }
    }

    func prepare() async throws -> Prepared {
        let command = self.command
        let common = command.header.compactMap(LoadTestCommand.headerField)
        var classes: [RequestClass] = []
        var prepared = Prepared(classes: [])
        if let basic = command.basic {
            func authorization(_ credentials: String) -> (String, String) {
                ("authorization", "Basic " + Data(credentials.utf8).base64EncodedString())
            }
            if command.basicUnique > 1 {
                let variants = (0..<command.basicUnique).map { [authorization(basic.replacing("{i}", with: String($0)))] }
                classes.append(RequestClass(name: "basic", headers: common, variants: variants))
            } else {
                classes.append(RequestClass(name: "basic", headers: common + [authorization(basic)]))
            }
        }
        if let bearer = command.bearer {
            classes.append(RequestClass(name: "bearer", headers: common + [("authorization", "Bearer " + bearer)]))
        }
        var jwt: (issuer: JWTIssuer, tokens: [String])?
        if let keyPath = command.jwtKey {
            let minted = try await self.mintTokens(keyPath: keyPath)
            jwt = minted
            let variants = minted.tokens.count > 1 ? minted.tokens.map { [("authorization", "Bearer " + $0)] } : []
            let headers = minted.tokens.count > 1 ? common : common + [("authorization", "Bearer " + minted.tokens[0])]
            classes.append(RequestClass(name: "jwt", headers: headers, variants: variants))
        }
        if let path = command.oauth2Config {
            let (token, client) = try await Self.oauth2Authorization(path)
            classes.append(RequestClass(name: "oauth2", headers: common + [("authorization", token)]))
            prepared.oauth2Client = client
            prepared.renewals.append(Self.renewal(of: "oauth2", by: client, path: path))
        }
        if classes.isEmpty && command.invalid.isEmpty { classes.append(RequestClass(name: "default", headers: common)) }
        var seen = Set<String>()
        do {
            for kind in command.invalid where seen.insert(kind).inserted {
                let credential = try self.invalidCredential(kind, jwt: jwt)
                classes.append(RequestClass(name: "invalid-\(kind)", headers: common + [credential], expectation: .status(401)))
            }
        } catch {
            await prepared.shutdown()
            throw error
        }
        prepared.classes = classes
        return prepared
    }

    /// `--jwt-unique` tokens, minted before the run (printed progress when many).
    private func mintTokens(keyPath: String) async throws -> (issuer: JWTIssuer, tokens: [String]) {
        let command = self.command
        let issuer: JWTIssuer
        let quickstart = keyPath == "quickstart"
        do {
            let key = quickstart ? try JWTSigningKey.development() : try SigningKeyFile.load(keyPath, algorithm: command.jwtAlg, password: command.jwtKeyPassword)
            issuer = try await JWTIssuer.make(key: key, algorithm: command.jwtAlg, keyID: quickstart ? QuickstartDevelopmentKey.keyID : nil)
        } catch let error as JWTIssuerError {
            printError("error: --jwt-key \(keyPath): \(error.description)")
            throw ExitStatus.invalid
        } catch let error as SigningKeyFile.ReadError {
            printError("error: --jwt-key \(error.description)")
            throw ExitStatus.runtime
        }
        let lifetime = max(60, min(31_536_000, self.lifetime.nanoseconds / 1_000_000_000 + 300))
        let run = String(UInt32.random(in: 0...UInt32.max), radix: 36)
        let count = command.jwtUnique
        var tokens: [String] = []
        tokens.reserveCapacity(count)
        if count >= 10_000 { printError("minting \(count) \(issuer.algorithm.rawValue) tokens...") }
        let now = Date()
        for index in 0..<count {
            let set = self.claimSet(jwtID: count > 1 ? "loadtest-\(run)-\(index)" : nil, now: now, lifetime: lifetime)
            do {
                tokens.append(try issuer.sign(set))
            } catch {
                printError("error: --jwt-key \(keyPath): \(error.description)")
                throw ExitStatus.invalid
            }
        }
        return (issuer, tokens)
    }

    /// The claims of the jwt class's tokens (and of the expired kind's): `--jwt-claim`'s, with
    /// the quickstart's issuer by default when signing with its key, and `sub` "loadtest".
    private func claimSet(jwtID: String?, now: Date, lifetime: Int64) -> JWTClaimSet {
        let claims = self.claims
        return JWTClaimSet(
            issuer: claims.iss ?? (self.command.jwtKey == "quickstart" ? QuickstartDevelopmentKey.issuer : nil),
            subject: claims.sub ?? "loadtest",
            audience: claims.aud,
            jwtID: jwtID,
            now: now,
            lifetimeSeconds: lifetime,
            custom: claims.custom
        )
    }

    /// The `Authorization` value from an OAuth2 grant record, fetched through the token manager
    /// the gateway's outbound credentials use, and the client that holds it (the caller shuts it
    /// down).
    private static func oauth2Authorization(_ path: String) async throws -> (String, AuthenticatedHTTPClient) {
        let record: ClientAuthConfig
        do {
            record = try ConfigLoader.loadClientAuth(file: path)
        } catch let error as ConfigError {
            printError(error.description)
            throw ExitStatus.invalid
        } catch {
            printError("error: --oauth2-config \(error)")
            throw ExitStatus.runtime
        }
        guard case .oauth2 = record else {
            printError("error: --oauth2-config \(path): not an OAuth2 grant record (tokenUrl, or refreshUrl with refreshToken)")
            throw ExitStatus.invalid
        }
        let client: AuthenticatedHTTPClient
        do {
            client = try await AuthenticatedHTTPClient(auth: record, client: HTTPClient.shared)
        } catch {
            printError(error.description)
            throw ExitStatus.invalid
        }
        let authorization: String
        do {
            authorization = try await client.credential.authorization()
        } catch {
            await client.shutdown()
            printError("error: --oauth2-config \(path): no token: \(error)")
            throw ExitStatus.runtime
        }
        return (authorization, client)
    }

    /// Renews the class's token while the run goes on: the token manager starts a renewal in the
    /// last tenth of the token's life (at most a minute ahead), which the next ask, 100 ms later at
    /// most, picks up. A failed renewal is said once per failure streak; the class keeps its
    /// token, whose expiry then shows as 401s.
    private static func renewal(of className: String, by client: AuthenticatedHTTPClient, path: String) -> CredentialRenewal {
        let failing = Mutex(false)
        return CredentialRenewal(className: className, interval: .milliseconds(100)) {
            do {
                let authorization = try await client.credential.authorization()
                failing.withLock { $0 = false }
                return [("authorization", authorization)]
            } catch {
                // The run is over (its client may be closing): nothing to say.
                guard !Task.isCancelled else { return nil }
                let first = failing.withLock { failing in
                    defer { failing = true }
                    return !failing
                }
                if first { printError("warning: --oauth2-config \(path): the token could not be renewed: \(error)") }
                return nil
            }
        }
    }

    /// The `Authorization` field of an invalid kind.
    private func invalidCredential(_ kind: String, jwt: (issuer: JWTIssuer, tokens: [String])?) throws -> (String, String) {
        switch kind {
        case "unknown-user":
            let name = "nobody-" + String(UInt64.random(in: 0...UInt64.max), radix: 36)
            return ("authorization", "Basic " + Data("\(name):not-a-password".utf8).base64EncodedString())
        case "expired":
            guard let jwt else { return ("authorization", "Bearer !!not-a-token!!") }
            // Signed like the jwt class's tokens, but expired an hour ago (past any clock skew).
            let set = self.claimSet(jwtID: nil, now: Date(timeIntervalSinceNow: -7200), lifetime: 3600)
            do {
                return ("authorization", "Bearer " + (try jwt.issuer.sign(set)))
            } catch {
                printError("error: --invalid expired: \(error.description)")
                throw ExitStatus.invalid
            }
        case "bad-signature":
            // A well-formed JWT whose signature is wrong: the jwt class's or --bearer's with its
            // signature altered, or a made-up RS256 token.
            var token = jwt?.tokens.first ?? self.command.bearer.flatMap { $0.split(separator: ".").count == 3 ? $0 : nil }
                ?? "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJsb2FkdGVzdCIsImV4cCI6NDEwMjQ0NDgwMH0.c2lnbmF0dXJl"
            // The first signature character changes (the last may carry only padding bits).
            let dot = token.lastIndex(of: ".") ?? token.startIndex
            let first = token.index(after: dot)
            if first < token.endIndex {
                let replacement: Character = token[first] == "A" ? "B" : "A"
                token.replaceSubrange(first...first, with: [replacement])
            }
            return ("authorization", "Bearer " + token)
        default:
            return ("authorization", "Bearer !!not-a-token!!")
        }
    }
}
