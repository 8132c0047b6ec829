import Foundation
import NIOHTTP1

// What every target checks beside "no trap": the promises the code under test documents. A broken
// promise traps with a message; libFuzzer saves the input as a crash like any other.

/// Traps with `message` when `condition` is false.
func expect(
    _ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String,
    file: StaticString = #fileID, line: UInt = #line
) {
    if !condition() { fatalError("contract broken: \(message())", file: file, line: line) }
}

/// The longest wait any answer may make Rewind take (issue 11: every wait is parsed with saturating
/// arithmetic and capped at an hour).
let maximumWait: Duration = .seconds(3600)

/// A wait read from an answer: absent, or between zero and ``maximumWait``.
func expectBoundedWait(_ wait: Duration?, _ what: String, file: StaticString = #fileID, line: UInt = #line) {
    guard let wait else { return }
    // Compared as Durations (128-bit): the check itself cannot overflow.
    expect(
        wait >= .zero && wait <= maximumWait, "\(what) is \(wait.components), outside 0…3600 s", file: file, line: line)
}

/// Text Rewind shows or logs: at most `limit` characters and no control characters (no forged log lines).
func expectTidy(_ text: String, limit: Int, _ what: String, file: StaticString = #fileID, line: UInt = #line) {
    expect(text.count <= limit, "\(what) has \(text.count) characters, more than \(limit)", file: file, line: line)
    let control = text.unicodeScalars.first { $0.properties.generalCategory == .control }
    expect(
        control == nil, "\(what) holds the control character U+\(String(control?.value ?? 0, radix: 16))", file: file,
        line: line)
}

/// `text` holds none of `secrets`.
func expectNoSecret(
    _ text: String, _ secrets: [String], _ what: String, file: StaticString = #fileID, line: UInt = #line
) {
    for secret in secrets where text.contains(secret) {
        expect(false, "\(what) shows the secret \(secret)", file: file, line: line)
    }
}

/// What a vendor answered, as a fuzz input writes it: the status on the first line, header lines, an empty
/// line, then the body —
///
///     429
///     Retry-After: 120
///
///     {"error": {"code": "rate_limited"}}
///
/// Without an empty line the whole input is the body of a 200.
struct FuzzAnswer {
    var status: Int
    var headers: HTTPHeaders
    var body: Data

    init(_ bytes: [UInt8]) {
        let separator: [UInt8] = [0x0A, 0x0A]
        guard let split = bytes.indices.first(where: { bytes[$0...].starts(with: separator) }) else {
            status = 200
            headers = HTTPHeaders()
            body = Data(bytes)
            return
        }
        body = Data(bytes[(split + 2)...])
        let head = String(decoding: bytes[..<split], as: UTF8.self).split(
            separator: "\n", omittingEmptySubsequences: false)
        status =
            head.first.flatMap { Int($0.trimmingCharacters(in: .whitespaces)) }.map { min(max($0, 100), 599) } ?? 200
        var headers = HTTPHeaders()
        for line in head.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let name = line[..<colon].trimmingCharacters(in: .whitespaces)
            let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            // What NIO's parser can hand over: a token name, a value without CR, LF or NUL.
            guard !name.isEmpty, name.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }),
                !value.utf8.contains(where: { $0 == 0x0D || $0 == 0x0A || $0 == 0 })
            else { continue }
            headers.add(name: name, value: value)
        }
        self.headers = headers
    }

    var isSuccess: Bool { (200...299).contains(status) }
}

/// A fixed "now" for targets that compare with the clock: 2026-09-21, as the tests use.
let fuzzNow = Date(timeIntervalSince1970: 1_790_000_000)

/// `REWIND_FUZZ_SKIP_KNOWN=id,id…` (`scripts/fuzz --skip-known id,…`): inputs that reach those open findings
/// (`Fuzz/findings/<id>`) are skipped, so that a run can look past them until they are fixed; `all` skips every
/// one. The smoke run never sets it.
let skippedFindings = Set(
    (ProcessInfo.processInfo.environment["REWIND_FUZZ_SKIP_KNOWN"] ?? "").split(separator: ",").map(String.init))

func skipping(_ finding: String) -> Bool { skippedFindings.contains(finding) || skippedFindings.contains("all") }

/// The open findings on waits (`Retry-After` and the vendors' rate-limit resets: no cap, overflow).
var skippingWaits: Bool {
    ["retry-after-unbounded", "vercel-rate-limit-reset", "launchdarkly-ratelimit-reset", "cloudflare-ratelimit-t"]
        .contains(where: skipping)
}

/// Whether `bytes` mention a wait: `retry-after`, `ratelimit` or `reset`, in any case.
func mentionsWait(_ bytes: [UInt8]) -> Bool {
    let lowered = String(decoding: bytes, as: UTF8.self).lowercased()
    return ["retry-after", "ratelimit", "reset"].contains { lowered.contains($0) }
}
