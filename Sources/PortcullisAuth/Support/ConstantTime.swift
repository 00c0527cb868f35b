/// Comparisons whose duration does not depend on where two secrets differ.
public enum ConstantTime {
    /// `true` when `lhs` and `rhs` hold the same bytes. Only the lengths, which are not secret
    /// here (digests and hashes of fixed size), may affect the running time.
    @inline(never)
    public static func equal(_ lhs: some Collection<UInt8>, _ rhs: some Collection<UInt8>) -> Bool {
        guard lhs.count == rhs.count else { return false }
        var difference: UInt8 = 0
        for (left, right) in zip(lhs, rhs) {
            difference |= left ^ right
        }
        return difference == 0
    }
}
