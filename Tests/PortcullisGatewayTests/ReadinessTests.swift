import Testing

@testable import PortcullisGateway

/// What `/readyz` reports, without a listener: not ready before the listener accepts and once a
/// graceful shutdown has begun.
@Suite("Readiness")
struct ReadinessTests {
    @Test("ready only between listening and draining")
    func lifecycle() {
        let readiness = Readiness(jwksSources: [])
        #expect(readiness.failing() == ["listener: not accepting yet"])
        readiness.listening()
        #expect(readiness.failing().isEmpty)
        readiness.draining()
        #expect(readiness.failing() == ["listener: draining"])
    }
}
