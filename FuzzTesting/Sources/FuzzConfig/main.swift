@_spi(Fuzzing) import PortcullisConfig

/// libFuzzer's entry point: the TOML config loader and validator.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    ConfigFuzzTargets.configFile(Array(UnsafeRawBufferPointer(start: start, count: count)))
    return 0
}
