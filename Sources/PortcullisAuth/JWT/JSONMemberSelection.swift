import PortcullisConfig

/// Which members of a JSON object a reader wants decoded; every other member is checked as JSON
/// and skipped without building a value.
///
/// A JWT check reads a handful of claims (RFC 7519 §4.1's registered ones, the scope claim, any
/// configured custom claims), while a token often carries a dozen more. Decoding those into a
/// dictionary was the larger part of a fresh token's cost outside its signature (perf of
/// `JWT.verify.RS256`: 10% of the samples in the JSON parser, against 8% in the RSA check itself).
@_spi(Benchmarks) public struct JSONMemberSelection: Sendable, Equatable {
    /// The names of the members decoded into ``JSONSelectedMembers/values``, in this order.
    let names: [String]
    /// Whether every member (the selected ones too) also goes into ``JSONSelectedMembers/all``.
    let keepsAll: Bool
    /// `names` as bytes, compared with a member's name as written when it has no escape.
    let nameBytes: [[UInt8]]

    /// - Parameters:
    ///   - names: the members wanted; a name given twice is looked up once, at its first index.
    ///   - keepsAll: whether every member is also kept, as a dictionary.
    @_spi(Benchmarks) public init(_ names: [String], keepsAll: Bool = false) {
        self.names = names
        self.keepsAll = keepsAll
        self.nameBytes = names.map { Array($0.utf8) }
    }

    /// The index of the member called `name`, if it is selected.
    func index(of name: String) -> Int? {
        self.names.firstIndex(of: name)
    }
}

/// The members a ``JSONMemberSelection`` asked for, as read from one object.
@_spi(Benchmarks) public struct JSONSelectedMembers: Sendable, Equatable {
    /// One value per selected name, `nil` where the object has no such member.
    var values: [ClaimValue?]
    /// Every member, when the selection keeps all; empty otherwise.
    var all: [String: ClaimValue]

    subscript(_ index: Int) -> ClaimValue? {
        self.values[index]
    }
}
