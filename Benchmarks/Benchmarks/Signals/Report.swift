import Foundation
import Synchronization

/// Human-readable lines: on stderr as they come (stdout belongs to the benchmark tool, which also
/// silences a benchmark's own output while it runs), and in a file at the end.
final class SignalsReport: Sendable {
    private let lines = Mutex<[String]>([])

    func line(_ text: String) {
        FileHandle.standardError.write(Data((text + "\n").utf8))
        lines.withLock { $0.append(text) }
    }

    func save(to path: String) {
        let text = lines.withLock { $0.joined(separator: "\n") } + "\n"
        try? text.write(toFile: path, atomically: true, encoding: .utf8)
    }
}

/// Order statistics of a small sample. Percentiles use the nearest-rank method.
struct Distribution {
    let min: Double
    let median: Double
    let p90: Double
    let max: Double

    init(_ values: [Double]) {
        let sorted = values.sorted()
        func rank(_ p: Double) -> Double {
            guard !sorted.isEmpty else { return .nan }
            let index = Int((p * Double(sorted.count)).rounded(.up)) - 1
            return sorted[Swift.max(0, Swift.min(sorted.count - 1, index))]
        }
        min = sorted.first ?? .nan
        max = sorted.last ?? .nan
        p90 = rank(0.9)
        if sorted.isEmpty {
            median = .nan
        } else if sorted.count % 2 == 1 {
            median = sorted[sorted.count / 2]
        } else {
            median = (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
        }
    }

    /// `label  min … median … p90 … max … unit`, in milliseconds with `decimals` places.
    static func row(_ label: String, _ durations: [Duration], decimals: Int = 2) -> String {
        let stats = Distribution(durations.map(\.doubleMilliseconds))
        let format = "%9.\(decimals)f"
        func f(_ value: Double) -> String { String(format: format, value) }
        let name = label.padding(toLength: 40, withPad: " ", startingAt: 0)
        return "  \(name)min \(f(stats.min))  median \(f(stats.median))  p90 \(f(stats.p90))  "
            + "max \(f(stats.max))  ms  (\(durations.count) samples)"
    }
}

extension Duration {
    var doubleMilliseconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) * 1_000 + Double(attoseconds) / 1e15
    }

    var wholeMicroseconds: Int { Int((doubleMilliseconds * 1_000).rounded()) }
}
