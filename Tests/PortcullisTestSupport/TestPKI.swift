import Crypto
import Foundation
import SwiftASN1
import X509

/// Certificates and keys for one test, generated in-process when the test runs (none are checked
/// in), written as files the gateway and the independent clients read. PKCS#12 files and the
/// encrypted key are made from those files by the `openssl` command line.
package struct TestPKI: Sendable {
    /// The folder every file is in.
    package let folder: String

    /// An issuing authority: its certificate and key.
    package struct Authority: Sendable {
        package let name: String
        package let certificate: Certificate
        package let key: P256.Signing.PrivateKey
    }

    package init() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("portcullis-pki-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        self.folder = url.path
    }

    package func path(_ name: String) -> String { "\(self.folder)/\(name)" }

    /// A self-signed CA, written to `<name>.crt`.
    package func authority(_ name: String, commonName: String? = nil) throws -> Authority {
        let key = P256.Signing.PrivateKey()
        let subject = try DistinguishedName { CommonName(commonName ?? "Portcullis Test \(name)") }
        let certificate = try Certificate(
            version: .v3,
            serialNumber: .init(),
            publicKey: .init(key.publicKey),
            notValidBefore: Date().addingTimeInterval(-3600),
            notValidAfter: Date().addingTimeInterval(86400),
            issuer: subject,
            subject: subject,
            signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.isCertificateAuthority(maxPathLength: nil))
                Critical(KeyUsage(keyCertSign: true, cRLSign: true))
            },
            issuerPrivateKey: .init(key)
        )
        try self.write(certificate, to: "\(name).crt")
        return Authority(name: name, certificate: certificate, key: key)
    }

    /// A leaf certificate issued by `issuer`, written to `<name>.crt` and its key to `<name>.key`
    /// (unencrypted PKCS#8 PEM).
    @discardableResult
    package func leaf(
        _ name: String,
        issuer: Authority,
        subject: DistinguishedName,
        dnsNames: [String] = [],
        uris: [String] = [],
        ipAddresses: [[UInt8]] = [],
        notValidBefore: Date = Date().addingTimeInterval(-3600),
        notValidAfter: Date = Date().addingTimeInterval(86400)
    ) throws -> Certificate {
        let key = P256.Signing.PrivateKey()
        var names: [GeneralName] = dnsNames.map { .dnsName($0) } + uris.map { .uniformResourceIdentifier($0) }
        names += ipAddresses.map { .ipAddress(ASN1OctetString(contentBytes: $0[...])) }
        let certificate = try Certificate(
            version: .v3,
            serialNumber: .init(),
            publicKey: .init(key.publicKey),
            notValidBefore: notValidBefore,
            notValidAfter: notValidAfter,
            issuer: issuer.certificate.subject,
            subject: subject,
            signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.notCertificateAuthority)
                Critical(KeyUsage(digitalSignature: true))
                try ExtendedKeyUsage([.serverAuth, .clientAuth])
                if !names.isEmpty {
                    SubjectAlternativeNames(names)
                }
            },
            issuerPrivateKey: .init(issuer.key)
        )
        try self.write(certificate, to: "\(name).crt")
        try key.pemRepresentation.write(toFile: self.path("\(name).key"), atomically: true, encoding: .utf8)
        return certificate
    }

    /// A server certificate for `localhost` and `127.0.0.1`.
    @discardableResult
    package func server(_ name: String, issuer: Authority, notValidAfter: Date = Date().addingTimeInterval(86400)) throws -> Certificate {
        try self.leaf(
            name,
            issuer: issuer,
            subject: try DistinguishedName { CommonName("localhost") },
            dnsNames: ["localhost"],
            ipAddresses: [[127, 0, 0, 1]],
            notValidAfter: notValidAfter
        )
    }

    /// `<name>.p12`: the certificate and key of `name`, protected by `password` (openssl's defaults).
    package func pkcs12(_ name: String, password: String) throws {
        try self.openssl([
            "pkcs12", "-export", "-in", self.path("\(name).crt"), "-inkey", self.path("\(name).key"),
            "-out", self.path("\(name).p12"), "-passout", "pass:\(password)",
        ])
    }

    /// `<name>-trust.p12`: only the certificate of `name`, as a truststore.
    package func truststore(_ name: String, password: String) throws {
        try self.openssl([
            "pkcs12", "-export", "-nokeys", "-in", self.path("\(name).crt"),
            "-out", self.path("\(name)-trust.p12"), "-passout", "pass:\(password)",
        ])
    }

    /// `<name>.enc.key`: the key of `name` as encrypted PKCS#8 (AES-256, PBKDF2).
    package func encryptedKey(_ name: String, password: String) throws {
        try self.openssl([
            "pkcs8", "-topk8", "-v2", "aes-256-cbc", "-in", self.path("\(name).key"),
            "-out", self.path("\(name).enc.key"), "-passout", "pass:\(password)",
        ])
    }

    private func write(_ certificate: Certificate, to name: String) throws {
        try certificate.serializeAsPEM().pemString.write(toFile: self.path(name), atomically: true, encoding: .utf8)
    }

    private func openssl(_ arguments: [String]) throws {
        let result = try ExternalTool.run("openssl", arguments)
        guard result.status == 0 else {
            throw ExternalTool.Failure(command: "openssl \(arguments.first ?? "")", output: result.stderr)
        }
    }
}

/// Runs a tool from `PATH` (curl, openssl, python3) or by absolute path (the built `portcullis`),
/// as an independent peer of the gateway.
package enum ExternalTool {
    package struct Failure: Error, CustomStringConvertible {
        package let command: String
        package let output: String

        package init(command: String, output: String) {
            self.command = command
            self.output = output
        }

        package var description: String { "\(self.command) failed: \(self.output)" }
    }

    package static func run(_ tool: String, _ arguments: [String], input: String = "") throws -> CommandRunner.Result {
        let stdin = Pipe()
        let stdout = Pipe()
        let stderr = Pipe()
        let process = try ChildProcess(
            "/usr/bin/env",
            arguments: [tool] + arguments,
            standardInput: .pipe(stdin),
            standardOutput: .pipe(stdout),
            standardError: .pipe(stderr)
        )
        stdin.fileHandleForWriting.write(Data(input.utf8))
        try stdin.fileHandleForWriting.close()
        // Read both pipes concurrently so neither fills up and blocks the tool.
        let errorData = LockedData()
        let done = DispatchSemaphore(value: 0)
        DispatchQueue.global().async {
            errorData.set(stderr.fileHandleForReading.readToEndOfFile())
            done.signal()
        }
        let out = stdout.fileHandleForReading.readToEndOfFile()
        let status = process.waitUntilExit()
        done.wait()
        return CommandRunner.Result(
            status: status,
            stdout: String(decoding: out, as: UTF8.self),
            stderr: String(decoding: errorData.value, as: UTF8.self)
        )
    }

    /// `run` on a thread of its own, since it blocks until the tool exits. Not on a Dispatch
    /// global queue (on Linux those share libdispatch's threads with Swift's cooperative pool: a
    /// thread blocked there held up the gateway's own tasks for ~0.9 s), nor on NIO's two-thread
    /// blocking pool (NIO's own blocking work, and other tests, queue behind a long tool run).
    package static func runAsync(_ tool: String, _ arguments: [String], input: String = "") async throws -> CommandRunner.Result {
        try await BlockingThread.run { try run(tool, arguments, input: input) }
    }
}

private final class LockedData: @unchecked Sendable {
    private let lock = NSLock()
    private var data: Data?
    func set(_ value: Data) { self.lock.withLock { self.data = value } }
    var value: Data { self.lock.withLock { self.data ?? Data() } }
}

/// Runs blocking test work (a child process, a blocking socket) on a new thread, so that no pool
/// the code under test relies on waits behind it.
package enum BlockingThread {
    package static func run<Value: Sendable>(_ work: @escaping @Sendable () throws -> Value) async throws -> Value {
        try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread {
                continuation.resume(with: Result { try work() })
            }
        }
    }
}
