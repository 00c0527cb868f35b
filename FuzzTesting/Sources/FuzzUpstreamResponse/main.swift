@_spi(Fuzzing) import PortcullisGateway

/// libFuzzer's entry point: the strict upstream response parser, whole against split.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    GatewayFuzzTargets.upstreamResponse(Array(UnsafeRawBufferPointer(start: start, count: count)))
    return 0
}
