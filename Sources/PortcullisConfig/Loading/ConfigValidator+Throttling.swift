/// `[throttling]` and `[service.throttling]`.
extension ConfigValidator {
    mutating func throttling(_ fields: Fields, at path: ConfigPath) -> ThrottlingConfig {
        self.checkKeys(
            fields,
            at: path,
            allowed: ["perAddress", "failuresPerAddress", "failuresPerUser", "trustedProxies", "status", "shadow", "hashKey", "redis"]
        )
        var throttling = ThrottlingConfig()
        if let rate = self.table(fields, "perAddress", at: path) {
            throttling.perAddress = self.throttleRate(rate, at: path.appending("perAddress"))
        }
        if let failures = self.table(fields, "failuresPerAddress", at: path) {
            throttling.failuresPerAddress = self.throttleFailures(failures, at: path.appending("failuresPerAddress"))
        }
        if let failures = self.table(fields, "failuresPerUser", at: path) {
            throttling.failuresPerUser = self.throttleFailures(failures, at: path.appending("failuresPerUser"))
        }
        if let blocks = self.stringArray(fields, "trustedProxies", at: path) {
            for (index, text) in blocks.enumerated() {
                switch AddressBlock.parse(text) {
                case .success(let block): throttling.trustedProxies.append(block)
                case .failure(let error): self.error(path.appending("trustedProxies").appending(index: index), "\"\(text)\" \(error.message)")
                }
            }
        }
        if let status = self.integer(fields, "status", at: path) {
            if (400...599).contains(status) {
                throttling.status = status
            } else {
                self.error(path.appending("status"), "must be an HTTP error status (400...599)")
            }
        }
        if let shadow = self.bool(fields, "shadow", at: path) { throttling.shadow = shadow }
        if let key = self.string(fields, "hashKey", at: path) {
            if key.utf8.count >= 16 {
                throttling.hashKey = key
            } else {
                self.error(path.appending("hashKey"), "must be at least 16 characters (it keys the user-name hash)")
            }
        }
        if let redis = self.table(fields, "redis", at: path) {
            throttling.redis = self.throttleStore(redis, at: path.appending("redis"))
            if throttling.hashKey == nil, fields["hashKey"] == nil {
                self.error(path.appending("hashKey"), "is required with redis, so that every gateway sharing the store keys user names alike")
            }
        }
        return throttling
    }

    private mutating func throttleStore(_ fields: Fields, at path: ConfigPath) -> ThrottlingConfig.Redis? {
        self.checkKeys(fields, at: path, allowed: ["url", "timeoutMilliseconds", "keyPrefix"])
        guard let url = self.string(fields, "url", at: path, required: true) else { return nil }
        var redis: ThrottlingConfig.Redis
        switch RedisURL.parse(url) {
        case .success(let parsed):
            redis = parsed
        case .failure(let error):
            // Never the URL itself: it may hold the password.
            self.error(path.appending("url"), error.message)
            return nil
        }
        if let timeout = self.integer(fields, "timeoutMilliseconds", at: path) {
            guard (1...10_000).contains(timeout) else {
                self.error(path.appending("timeoutMilliseconds"), "must be between 1 and 10000")
                return nil
            }
            redis.timeoutMilliseconds = timeout
        }
        if let prefix = self.string(fields, "keyPrefix", at: path) {
            guard prefix.utf8.count <= 256 else {
                self.error(path.appending("keyPrefix"), "must be at most 256 bytes")
                return nil
            }
            redis.keyPrefix = prefix
        }
        return redis
    }

    private mutating func throttleRate(_ fields: Fields, at path: ConfigPath) -> ThrottlingConfig.Rate? {
        self.checkKeys(fields, at: path, allowed: ["rate", "burst"])
        let rate: Double?
        switch fields["rate"] {
        case .integer(let value)?: rate = Double(value)
        case .float(let value)?: rate = value
        case nil:
            self.error(path.appending("rate"), "is required (attempts per second)")
            rate = nil
        case let node?:
            self.error(path.appending("rate"), "must be a number of attempts per second, not \(node.typeNameWithArticle)")
            rate = nil
        }
        if let rate, !(rate > 0 && rate <= 1_000_000) {
            self.error(path.appending("rate"), "must be greater than 0 and at most 1000000 per second")
            return nil
        }
        guard let rate, let burst = self.throttleBurst(fields, at: path) else { return nil }
        return ThrottlingConfig.Rate(rate: rate, burst: burst)
    }

    private mutating func throttleFailures(_ fields: Fields, at path: ConfigPath) -> ThrottlingConfig.Failures? {
        self.checkKeys(fields, at: path, allowed: ["burst", "refillSeconds"])
        let burst = self.throttleBurst(fields, at: path)
        guard fields["refillSeconds"] != nil else {
            self.error(path.appending("refillSeconds"), "is required (seconds until one more failure is allowed)")
            return nil
        }
        guard let burst, let refill = self.positiveSeconds(fields, "refillSeconds", at: path) else { return nil }
        return ThrottlingConfig.Failures(burst: burst, refillSeconds: refill)
    }

    private mutating func throttleBurst(_ fields: Fields, at path: ConfigPath) -> Int? {
        guard fields["burst"] != nil else {
            self.error(path.appending("burst"), "is required")
            return nil
        }
        guard let burst = self.integer(fields, "burst", at: path) else { return nil }
        guard (1...1_000_000).contains(burst) else {
            self.error(path.appending("burst"), "must be between 1 and 1000000")
            return nil
        }
        return burst
    }
}
