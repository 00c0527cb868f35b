import Foundation
import Testing

@_spi(Fuzzing) import PortcullisAuth
@_spi(Fuzzing) import PortcullisLDAP
@_spi(Fuzzing) import PortcullisConfig
@_spi(Fuzzing) import PortcullisGateway
@_spi(Fuzzing) import PortcullisRedis

/// Replays the fuzzers' committed seeds and every input that once broke a target
/// (`FuzzTesting/Corpus/<target>/`, `FuzzTesting/FailCases/<target>/`) through the same entry points
/// the libFuzzer builds call, without sanitizers: a crash or a broken invariant traps here too.
@Suite("Fuzz corpus replay")
struct FuzzCorpusTests {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("FuzzTesting")

    static let targets: [String: @Sendable ([UInt8]) -> Void] = [
        "FuzzAuthorization": AuthFuzzTargets.authorization,
        "FuzzCompactJWT": AuthFuzzTargets.compactJWT,
        "FuzzJSONClaims": AuthFuzzTargets.jsonObject,
        "FuzzIntrospectionAnswer": AuthFuzzTargets.introspectionAnswer,
        "FuzzLDAPFilter": LDAPFuzzTargets.ldapFilterValue,
        "FuzzRequestTarget": GatewayFuzzTargets.requestTarget,
        "FuzzForwardAuth": GatewayFuzzTargets.forwardAuthRequest,
        "FuzzUpstreamResponse": GatewayFuzzTargets.upstreamResponse,
        "FuzzConfig": ConfigFuzzTargets.configFile,
        "FuzzRESP": RedisFuzzTargets.reply,
    ]

    static func inputs(_ target: String) throws -> [URL] {
        var found: [URL] = []
        for kind in ["Corpus", "FailCases"] {
            let directory = Self.folder.appendingPathComponent(kind).appendingPathComponent(target)
            guard FileManager.default.fileExists(atPath: directory.path) else { continue }
            found += try FileManager.default.contentsOfDirectory(at: directory, includingPropertiesForKeys: nil)
        }
        return found
    }

    @Test("every fuzz target in FuzzTesting/Sources has an entry point here, and seeds")
    func everyTargetKnown() throws {
        let sources = try FileManager.default.contentsOfDirectory(atPath: Self.folder.appendingPathComponent("Sources").path)
        #expect(Set(sources) == Set(Self.targets.keys))
        for target in Self.targets.keys {
            #expect(try !Self.inputs(target).isEmpty, "\(target) has no seed")
        }
    }

    @Test("the seeds and fail cases pass through their target", arguments: FuzzCorpusTests.targets.keys.sorted())
    func replay(_ target: String) throws {
        let run = try #require(Self.targets[target])
        for input in try Self.inputs(target) {
            run(Array(try Data(contentsOf: input)))
        }
    }
}
