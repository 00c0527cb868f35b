@_spi(Fuzzing) import PortcullisGateway

/// libFuzzer's entry point: the forward-auth endpoint's reading of the original request.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    GatewayFuzzTargets.forwardAuthRequest(Array(UnsafeRawBufferPointer(start: start, count: count)))
    return 0
}
