/// Holds upstream handlers until a test opens it, and tells the test when they arrive.
actor Gate {
    private var isOpen = false
    private var waiters: [CheckedContinuation<Void, Never>] = []
    private var arrivalWaiters: [CheckedContinuation<Void, Never>] = []
    private(set) var arrivals = 0

    /// Called by a handler: records the arrival, then waits until the gate opens.
    func pass() async {
        self.arrivals += 1
        let waiting = self.arrivalWaiters
        self.arrivalWaiters = []
        for waiter in waiting { waiter.resume() }
        if self.isOpen { return }
        await withCheckedContinuation { self.waiters.append($0) }
    }

    /// Waits until at least `count` handlers have arrived.
    func waitForArrivals(_ count: Int) async {
        while self.arrivals < count {
            await withCheckedContinuation { self.arrivalWaiters.append($0) }
        }
    }

    func open() {
        self.isOpen = true
        let waiting = self.waiters
        self.waiters = []
        for waiter in waiting { waiter.resume() }
    }
}
