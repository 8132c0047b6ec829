import Foundation
import RewindCore

@testable import RewindPorts

/// `Retry-After` (`RetryAfter.parse`), which every HTTP adapter reads: any header value gives no wait or a
/// wait of 0…3600 s (issue 11: saturating arithmetic, capped at an hour), never a trap — including when the
/// wait is shown (`rewindDescription`) or added to the clock, as the adapters and the outbox do.
enum RetryAfterTarget {
    static func run(_ bytes: [UInt8]) {
        let header = String(decoding: bytes, as: UTF8.self)
        let wait = RetryAfter.parse(header, now: fuzzNow)
        if skipping("retry-after-unbounded") { return }  // parsing alone; checking the wait is the finding
        expectBoundedWait(wait, "Retry-After '\(header.prefix(80))'")
        guard let wait else { return }
        _ = wait.rewindDescription
        _ = Timestamp(millisecondsSinceEpoch: 1_790_000_000_000) + wait
    }
}
