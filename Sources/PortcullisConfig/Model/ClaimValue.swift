/// A claim value as JSON knows it: what a token carries and what `customClaims` requires.
public enum ClaimValue: Sendable, Hashable {
    case string(String)
    case number(Double)
    case bool(Bool)
    case array([ClaimValue])
    case object([String: ClaimValue])
    case null
}

extension ClaimValue: Encodable {
    /// Encodes the value as the JSON it stands for, so issued tokens carry custom claims as given.
    public func encode(to encoder: any Encoder) throws {
        switch self {
        case .string(let value):
            var container = encoder.singleValueContainer()
            try container.encode(value)
        case .number(let value):
            var container = encoder.singleValueContainer()
            // Whole numbers are written without a fraction, as JWT numeric dates are.
            if value.rounded() == value, abs(value) < 9_007_199_254_740_992 {
                try container.encode(Int64(value))
            } else {
                try container.encode(value)
            }
        case .bool(let value):
            var container = encoder.singleValueContainer()
            try container.encode(value)
        case .array(let values):
            var container = encoder.unkeyedContainer()
            for value in values { try container.encode(value) }
        case .object(let members):
            var container = encoder.container(keyedBy: ClaimName.self)
            for (name, value) in members { try container.encode(value, forKey: ClaimName(name)) }
        case .null:
            var container = encoder.singleValueContainer()
            try container.encodeNil()
        }
    }
}
