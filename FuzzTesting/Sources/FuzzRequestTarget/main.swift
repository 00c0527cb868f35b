@_spi(Fuzzing) import PortcullisGateway

/// libFuzzer's entry point: the request-target checks.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    GatewayFuzzTargets.requestTarget(Array(UnsafeRawBufferPointer(start: start, count: count)))
    return 0
}
