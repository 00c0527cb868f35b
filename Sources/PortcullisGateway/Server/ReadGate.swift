/// Holds a channel's reads while something cannot take more, remembering a read asked for
/// meanwhile. Used by the client and the upstream handlers alike.
///
/// Reads are held for independent reasons (the partner connection is not writable, a pipelined
/// request waits for the response before it): they pass again only once every reason is gone.
///
/// - Important: It only answers whether to read; the caller calls `context.read()` after the
///   mutation has ended, because a read can re-enter the handler at once (a pipelined request
///   already in the decoder's buffer), and the gate must not be under modification then.
struct ReadGate {
    /// Why reads are held.
    struct Reason: OptionSet {
        let rawValue: UInt8
        /// The partner (the upstream, or a pending decision) cannot take more yet.
        static let partner = Reason(rawValue: 1)
        /// A pipelined request is queued until the response before it has ended.
        static let pipelined = Reason(rawValue: 2)
    }

    private var held: Reason = []
    private var pending = false

    /// An outbound `read()` arrived: `true` to pass it on now; otherwise it is kept until resumed.
    mutating func read() -> Bool {
        if !self.held.isEmpty {
            self.pending = true
            return false
        }
        return true
    }

    mutating func hold(_ reason: Reason = .partner) {
        self.held.insert(reason)
    }

    /// Lifts `reason`: `true` when no reason is left and a read was kept meanwhile (it is to be
    /// issued now).
    mutating func resume(_ reason: Reason = .partner) -> Bool {
        guard self.held.contains(reason) else { return false }
        self.held.remove(reason)
        guard self.held.isEmpty, self.pending else { return false }
        self.pending = false
        return true
    }
}
