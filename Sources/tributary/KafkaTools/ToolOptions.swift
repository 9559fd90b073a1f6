/// One option of a Kafka tool, as joptsimple declares it: a name, whether it takes a value, a help line.
struct ToolOption: Sendable {
    var name: String
    var takesValue: Bool
    var help: String
    var valueName: String = ""
    /// For an option whose value may be left out (joptsimple's `withOptionalArg`): the value it then has.
    var defaultWhenBare: String?
}

/// A Kafka tool's command line, parsed the way joptsimple parses Kafka's: `--name value` or `--name=value`, an
/// option given twice keeps every value (`--config a=1 --config b=2`), an unambiguous prefix of a name is that
/// name (`--bootstrap` for `--bootstrap-server`), and anything else is an error.
struct ToolArguments: Sendable, Equatable {
    private(set) var values: [String: [String]] = [:]

    struct Failure: Error, Equatable, CustomStringConvertible {
        var description: String
    }

    init(_ args: [String], options: [ToolOption]) throws {
        var i = 0
        while i < args.count {
            let arg = args[i]
            guard arg.hasPrefix("--") || (arg.hasPrefix("-") && arg.count > 1) else {
                throw Failure(description: "Found non-option argument '\(arg)'")
            }
            let body = arg.drop(while: { $0 == "-" })
            let (name, inline): (Substring, String?) = body.firstIndex(of: "=").map {
                (body[..<$0], String(body[body.index(after: $0)...]))
            } ?? (body, nil)
            let option = try Self.resolve(String(name), in: options)
            if option.takesValue {
                if let inline {
                    values[option.name, default: []].append(inline)
                } else if let bare = option.defaultWhenBare, i + 1 == args.count || args[i + 1].hasPrefix("-") {
                    values[option.name, default: []].append(bare)
                } else {
                    guard i + 1 < args.count else { throw Failure(description: "Option \(option.name) requires an argument") }
                    i += 1
                    values[option.name, default: []].append(args[i])
                }
            } else {
                values[option.name, default: []].append("")
            }
            i += 1
        }
    }

    private static func resolve(_ name: String, in options: [ToolOption]) throws -> ToolOption {
        if let exact = options.first(where: { $0.name == name }) { return exact }
        let prefixed = options.filter { $0.name.hasPrefix(name) }
        if prefixed.count == 1, !name.isEmpty { return prefixed[0] }
        throw Failure(description: "\(name) is not a recognized option")
    }

    func has(_ name: String) -> Bool { values[name] != nil }
    func value(_ name: String) -> String? { values[name]?.last }
    func all(_ name: String) -> [String] { values[name] ?? [] }

    /// An integer option; `Failure` names the option when the value is not a number.
    func int(_ name: String) throws -> Int? {
        guard let v = value(name) else { return nil }
        guard let n = Int(v) else { throw Failure(description: "Cannot parse argument '\(v)' of option \(name)") }
        return n
    }

    /// `key=value` pairs of a repeatable option (`--property`, `--producer-property`, `--config`).
    func properties(_ name: String) throws -> [String: String] {
        var out: [String: String] = [:]
        for entry in all(name) {
            guard let eq = entry.firstIndex(of: "=") else {
                throw Failure(description: "Invalid \(name) '\(entry)': all properties must be in the format \"key=val\".")
            }
            out[String(entry[..<eq]).trimmedForTools] = String(entry[entry.index(after: eq)...]).trimmedForTools
        }
        return out
    }
}

/// joptsimple's help table: one row per option, the option column padded as Kafka's tools print it.
func toolUsage(_ description: String, _ options: [ToolOption]) -> String {
    var lines = [description, "Option                                   Description", "------                                   -----------"]
    for o in options.sorted(by: { $0.name < $1.name }) {
        let left = "--\(o.name)" + (o.takesValue ? " <\(o.valueName.isEmpty ? o.name : o.valueName)>" : "")
        let pad = left.count < 41 ? String(repeating: " ", count: 41 - left.count) : "\n" + String(repeating: " ", count: 41)
        lines.append(left + pad + o.help)
    }
    return lines.joined(separator: "\n")
}

extension String {
    var trimmedForTools: String {
        String(drop(while: { $0 == " " || $0 == "\t" }).reversed().drop(while: { $0 == " " || $0 == "\t" }).reversed())
    }
}
