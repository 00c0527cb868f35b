@_spi(Fuzzing) import PortcullisAuth

/// libFuzzer's entry point: RFC 7662 introspection answers.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    AuthFuzzTargets.introspectionAnswer(Array(UnsafeRawBufferPointer(start: start, count: count)))
    return 0
}
