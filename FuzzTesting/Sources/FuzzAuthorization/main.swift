@_spi(Fuzzing) import PortcullisAuth

/// libFuzzer's entry point: the Authorization header parser.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    AuthFuzzTargets.authorization(Array(UnsafeRawBufferPointer(start: start, count: count)))
    return 0
}
