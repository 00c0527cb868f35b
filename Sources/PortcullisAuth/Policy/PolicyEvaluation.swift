/// What ``AuthPolicy/decide(_:)`` found without waiting: the decision, or the work left to do.
public enum PolicyEvaluation: Sendable {
    /// Every entry that had to be asked answered at once (cache hits, refusals, mTLS).
    case decided(PolicyDecision)
    /// An entry must wait (bcrypt, LDAP, a signature check, introspection, JWKS):
    /// ``PendingPolicyDecision/resume()`` finishes the evaluation, keeping config order.
    case pending(PendingPolicyDecision)
}

/// An evaluation stopped at an entry that cannot decide at once.
public struct PendingPolicyDecision: Sendable {
    var run: PolicyRun

    /// Asks the waiting entry, then the remaining ones, and returns the decision.
    public func resume() async -> PolicyDecision {
        var run = self.run
        while true {
            let entry = run.policy.entries[run.next]
            let started = run.policy.durationStart(ofEntry: run.next)
            let result = await entry.authenticator.resolve(run.request)
            run.policy.recordDuration(ofEntry: run.next, since: started)
            if let decision = run.record(result, of: entry) {
                return decision
            }
            switch run.advance() {
            case .decided(let decision): return decision
            case .pending: continue
            }
        }
    }
}

/// The state of one evaluation: which entry comes next and what the earlier ones said.
///
/// A value without I/O: ``advance()`` asks entries that decide at once and stops at the first
/// that must wait; ``record(_:of:)`` takes that entry's answer. Config order is kept either way.
struct PolicyRun: Sendable {
    let policy: AuthPolicy
    let request: AuthRequest
    /// The index of the next entry to ask.
    var next = 0
    var failures: [AuthFailure] = []
    var forbidden: (principal: Principal, method: AuthMethod, scopes: [String], scheme: CredentialScheme)?
    var unavailable: AuthMethod?
    var lastTried: AuthMethod?

    enum Step {
        case decided(PolicyDecision)
        /// `policy.entries[next]` must be asked with `authenticate`.
        case pending
    }

    init(policy: AuthPolicy, request: AuthRequest) {
        self.policy = policy
        self.request = request
        if case .malformed(_, let failure) = request.credential {
            self.failures.append(failure)
        }
    }

    /// Asks entries that can answer at once, in order, until one must wait or all have answered.
    mutating func advance() -> Step {
        let entries = self.policy.entries
        while self.next < entries.count {
            let entry = entries[self.next]
            guard AuthPolicy.presents(self.request.credential, for: entry.authenticator.scheme) else {
                self.next += 1
                continue
            }
            let started = self.policy.durationStart(ofEntry: self.next)
            guard let result = entry.authenticator.authenticateImmediately(self.request) else {
                return .pending
            }
            self.policy.recordDuration(ofEntry: self.next, since: started)
            if let decision = self.record(result, of: entry) {
                return .decided(decision)
            }
        }
        return .decided(self.conclusion())
    }

    /// Takes the answer of `entry` (the one at `next`); returns the decision when it allows the request.
    mutating func record(_ result: AuthenticationResult, of entry: AuthEntry) -> PolicyDecision? {
        self.next += 1
        let authenticator = entry.authenticator
        self.lastTried = authenticator.method
        switch result {
        case .authenticated(let principal):
            guard let scopes = entry.scopes, !principal.holdsAny(of: scopes) else {
                return PolicyDecision(outcome: .allowed, principal: principal, method: authenticator.method)
            }
            if self.forbidden == nil {
                self.forbidden = (principal, authenticator.method, scopes, authenticator.scheme)
            }
        case .unauthenticated(let failure):
            self.failures.append(failure)
        case .unavailable(let failure):
            self.failures.append(failure)
            if self.unavailable == nil { self.unavailable = authenticator.method }
        }
        return nil
    }

    /// The decision once every entry that could be asked has answered without allowing the request.
    private mutating func conclusion() -> PolicyDecision {
        if let method = self.unavailable {
            return PolicyDecision(outcome: .unavailable, method: method, failures: self.failures)
        }
        if let forbidden = self.forbidden {
            let challenges =
                forbidden.scheme == .bearer
                ? ["Bearer realm=\"\(AuthPolicy.realm)\", error=\"insufficient_scope\", scope=\"\(forbidden.scopes.joined(separator: " "))\""]
                : []
            return PolicyDecision(
                outcome: .forbidden,
                principal: forbidden.principal,
                method: forbidden.method,
                challenges: challenges,
                failures: self.failures
            )
        }
        if self.lastTried == nil, case .none = self.request.credential {
            self.failures.append(AuthFailure(.missingCredentials, "no credentials presented"))
        }
        return PolicyDecision(
            outcome: .unauthenticated,
            method: self.lastTried ?? self.policy.entries.first?.authenticator.method,
            challenges: self.policy.challenges(afterToken: self.request.credential.presentedBearerToken),
            failures: self.failures
        )
    }
}
