@_spi(Fuzzing) import PortcullisAuth

/// libFuzzer's entry point: the compact JWT splitter with its JSON reader.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    AuthFuzzTargets.compactJWT(Array(UnsafeRawBufferPointer(start: start, count: count)))
    return 0
}
