/// Holds upstream handlers until a test opens it, and tells the test when they arrive.
package actor Gate {
    private var isOpen = false
    private var waiters: [CheckedContinuation<Void, Never>] = []
    private var arrivalWaiters: [CheckedContinuation<Void, Never>] = []
    package private(set) var arrivals = 0

    package init() {}

    /// Called by a handler: records the arrival, then waits until the gate opens.
    package func pass() async {
        self.arrivals += 1
        let waiting = self.arrivalWaiters
        self.arrivalWaiters = []
        for waiter in waiting { waiter.resume() }
        if self.isOpen { return }
        await withCheckedContinuation { self.waiters.append($0) }
    }

    /// Waits until at least `count` handlers have arrived.
    package func waitForArrivals(_ count: Int) async {
        while self.arrivals < count {
            await withCheckedContinuation { self.arrivalWaiters.append($0) }
        }
    }

    package func open() {
        self.isOpen = true
        let waiting = self.waiters
        self.waiters = []
        for waiter in waiting { waiter.resume() }
    }
}
