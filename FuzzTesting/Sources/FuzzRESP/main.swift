@_spi(Fuzzing) import PortcullisRedis

/// libFuzzer's entry point: the RESP2 reply reader of the throttling store's Redis client.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    RedisFuzzTargets.reply(Array(UnsafeRawBufferPointer(start: start, count: count)))
    return 0
}
