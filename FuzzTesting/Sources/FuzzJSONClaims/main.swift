@_spi(Fuzzing) import PortcullisAuth

/// libFuzzer's entry point: the strict JSON claims reader.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    AuthFuzzTargets.jsonObject(Array(UnsafeRawBufferPointer(start: start, count: count)))
    return 0
}
