import RewindCore
import RewindSignals

/// `--probes FILE`: the probe record `health.record` writes (``ProbeCSV``), read back as observations.
///
/// Accepted beyond what Rewind writes: Unix seconds (with a fraction) for `timestamp`, and an empty `check` for a
/// service's only check. Every number is range-checked: a status is 100–599, a latency 0–3600 s, a time between
/// 1970 and 9999. A failed probe without a status (a timeout, a refused connection) replays as a failure
/// without an HTTP answer.
public enum ProbeRecordReader {
    /// Reads `path`. `checks` are the checks of every service of the policy: a probe of another service is
    /// skipped (counted in ``Read/skipped``), an empty check is the service's only check.
    public static func read(path: String, checks: [ServiceName: [String]]) throws -> Read {
        try parse(try readInput(path), file: path, checks: checks)
    }

    /// What was read, and how many probes were skipped (services or checks the policy does not watch).
    public struct Read: Sendable {
        public var probes: [Observation]
        public var skipped: Int
    }

    public static func parse(_ text: String, file: String, checks: [ServiceName: [String]]) throws -> Read {
        var probes: [Observation] = []
        var skipped = 0
        var number = 0
        var sawHeader = false
        for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
            number += 1
            let line = raw.last == "\r" ? raw.dropLast() : raw
            if line.isEmpty { continue }
            guard sawHeader else {
                guard line == ProbeCSV.header else {
                    throw ReplayInputError(
                        file: file, line: number, "the first line must be the header \(ProbeCSV.header)")
                }
                sawHeader = true
                continue
            }
            let fields = try Self.fields(line, file: file, line: number)
            func fail(_ problem: String) -> ReplayInputError { ReplayInputError(file: file, line: number, problem) }
            guard fields.count == 6 else {
                throw fail("\(fields.count) fields; a probe has 6 (\(ProbeCSV.header))")
            }
            guard let at = ReplayTime.parse(fields[0]) else {
                throw fail("timestamp \"\(fields[0].prefix(40))\" is neither RFC 3339 nor Unix seconds")
            }
            let service = ServiceName(fields[1])
            guard let known = checks[service] else {
                skipped += 1
                continue
            }
            var check = fields[2]
            if check.isEmpty {
                guard known.count == 1 else {
                    throw fail(
                        "check is empty, but \(service) has \(known.count) checks (\(known.joined(separator: ", "))): "
                            + "name the check")
                }
                check = known[0]
            } else if !known.contains(check) {
                skipped += 1
                continue
            }
            let ok: Bool
            switch fields[3] {
            case "true": ok = true
            case "false": ok = false
            default: throw fail("ok must be true or false, not \"\(fields[3].prefix(20))\"")
            }
            var status: Int?
            if !fields[4].isEmpty {
                guard let parsed = Int(fields[4]), (100...599).contains(parsed) else {
                    throw fail("status must be an HTTP status (100–599) or empty, not \"\(fields[4].prefix(20))\"")
                }
                status = parsed
            }
            guard let seconds = Double(fields[5]), seconds.isFinite, (0...3600).contains(seconds) else {
                throw fail(
                    "latency_seconds must be a number of seconds from 0 to 3600, not \"\(fields[5].prefix(20))\"")
            }
            let result: CheckResult =
                if ok {
                    .success(status: status ?? 200)
                } else if let status {
                    .failure(.status(status))
                } else {
                    .failure(.connection("no HTTP answer (recorded probe)"))
                }
            probes.append(
                Observation(
                    service: service, check: check, at: at, result: result,
                    latencyMs: Int64((seconds * 1000).rounded())))
        }
        guard sawHeader else {
            throw ReplayInputError(file: file, line: 0, "the file is empty; it needs the header \(ProbeCSV.header)")
        }
        return Read(probes: probes, skipped: skipped)
    }

    /// The fields of one line: split on commas, with RFC 4180 quoting (`"a,b"`, `"say ""hi"""`).
    static func fields(_ line: Substring, file: String, line number: Int) throws -> [String] {
        guard line.contains("\"") else {
            return line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        }
        var fields: [String] = []
        var current = ""
        var quoted = false
        var index = line.startIndex
        while index < line.endIndex {
            let character = line[index]
            if quoted {
                if character == "\"" {
                    let next = line.index(after: index)
                    if next < line.endIndex, line[next] == "\"" {
                        current.append("\"")
                        index = next
                    } else {
                        quoted = false
                    }
                } else {
                    current.append(character)
                }
            } else if character == "\"" {
                quoted = true
            } else if character == "," {
                fields.append(current)
                current = ""
            } else {
                current.append(character)
            }
            index = line.index(after: index)
        }
        guard !quoted else {
            throw ReplayInputError(file: file, line: number, "a quoted field is not closed; end it with \"")
        }
        fields.append(current)
        return fields
    }
}
