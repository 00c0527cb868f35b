import NIOConcurrencyHelpers
import PortcullisAuth
import PortcullisAuthEngine

/// Whether the gateway should be sent traffic, as `/readyz` tells load balancers and Kubernetes:
/// the config is loaded (this exists only then), the listener accepts connections and is not
/// draining, and every JWKS source has keys (a JWT validator without them refuses every token).
final class Readiness: Sendable {
    private struct State {
        var listening = false
        var draining = false
        var jwksSources: [JWKSKeySource]
    }

    private let state: NIOLockedValueBox<State>

    init(jwksSources: [JWKSKeySource]) {
        self.state = NIOLockedValueBox(State(jwksSources: jwksSources))
    }

    /// A reload installed a configuration with these JWKS sources.
    func reloaded(jwksSources: [JWKSKeySource]) {
        self.state.withLockedValue { $0.jwksSources = jwksSources }
    }

    /// The listener accepts connections.
    func listening() {
        self.state.withLockedValue { $0.listening = true }
    }

    /// A graceful shutdown began: no new traffic, please.
    func draining() {
        self.state.withLockedValue { $0.draining = true }
    }

    /// What is not ready, in a stable order; empty when ready.
    func failing() -> [String] {
        let state = self.state.withLockedValue { $0 }
        var failing: [String] = []
        if !state.listening { failing.append("listener: not accepting yet") }
        if state.draining { failing.append("listener: draining") }
        for source in state.jwksSources where source.currentKeys.keys.isEmpty {
            failing.append("jwks \(source.url): no keys")
        }
        return failing
    }
}
