@_spi(Fuzzing) import PortcullisAuth

/// libFuzzer's entry point: RFC 4515 filter value escaping.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    AuthFuzzTargets.ldapFilterValue(Array(UnsafeRawBufferPointer(start: start, count: count)))
    return 0
}
