/// Holds a channel's reads while its partner cannot take more (backpressure), remembering a
/// read asked for meanwhile. Used by the client and the upstream handlers alike.
///
/// - Important: It only answers whether to read; the caller calls `context.read()` after the
///   mutation has ended, because a read can re-enter the handler at once (a pipelined request
///   delivered by `HTTPServerPipelineHandler`), and the gate must not be under modification then.
struct ReadGate {
    private var held = false
    private var pending = false

    /// An outbound `read()` arrived: `true` to pass it on now; otherwise it is kept until ``resume()``.
    mutating func read() -> Bool {
        if self.held {
            self.pending = true
            return false
        }
        return true
    }

    mutating func hold() {
        self.held = true
    }

    /// Lets reads through again: `true` when the read kept while held is to be issued now.
    mutating func resume() -> Bool {
        guard self.held else { return false }
        self.held = false
        defer { self.pending = false }
        return self.pending
    }
}
