import TOMLKit

/// A parsed TOML value, detached from TOMLKit so that validation works on plain Swift values.
enum TOMLNode: Sendable {
    case table([String: TOMLNode])
    case array([TOMLNode])
    case string(String)
    case integer(Int)
    case float(Double)
    case boolean(Bool)
    /// Dates and times: valid TOML, but never valid in a Portcullis config.
    case other(typeName: String)

    init(_ table: TOMLTable) {
        var fields: [String: TOMLNode] = [:]
        for key in table.keys {
            if let value = table[key] {
                fields[key] = TOMLNode(value.tomlValue)
            }
        }
        self = .table(fields)
    }

    init(_ value: TOMLValue) {
        switch value.type {
        case .table:
            self = value.table.map { TOMLNode($0) } ?? .table([:])
        case .array:
            self = .array(value.array.map { array in array.map { TOMLNode($0.tomlValue) } } ?? [])
        case .string:
            self = .string(value.string ?? "")
        case .int:
            self = .integer(value.int ?? 0)
        case .double:
            self = .float(value.double ?? 0)
        case .bool:
            self = .boolean(value.bool ?? false)
        case .date:
            self = .other(typeName: "date")
        case .time:
            self = .other(typeName: "time")
        case .dateTime:
            self = .other(typeName: "date-time")
        }
    }

    /// The TOML name of this value's type, for error messages.
    var typeName: String {
        switch self {
        case .table: "table"
        case .array: "array"
        case .string: "string"
        case .integer: "integer"
        case .float: "float"
        case .boolean: "boolean"
        case .other(let name): name
        }
    }

    /// ``typeName`` with its indefinite article: "an integer", "a string".
    var typeNameWithArticle: String {
        let name = self.typeName
        return ("aeiou".contains(name.first ?? "x") ? "an " : "a ") + name
    }
}
