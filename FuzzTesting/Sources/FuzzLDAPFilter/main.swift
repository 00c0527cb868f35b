@_spi(Fuzzing) import PortcullisLDAP

/// libFuzzer's entry point: RFC 4515 filter value escaping.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    LDAPFuzzTargets.ldapFilterValue(Array(UnsafeRawBufferPointer(start: start, count: count)))
    return 0
}
