import Foundation
import RewindCore

@testable import RewindSignals

/// Prometheus answers (`PrometheusEnvelope.decode`, what `PrometheusClient` reads every query result with):
/// any body gives an envelope or a short fixed problem, never a trap. A success carries a result; times are
/// whole milliseconds; the error type maps to a kind without trapping.
enum PrometheusTarget {
    static func run(_ bytes: [UInt8]) {
        switch PrometheusEnvelope.decode(Data(bytes)) {
        case .success(let envelope):
            if envelope.status == "success" { expect(envelope.result != nil, "a success without a result") }
            _ = envelope.errorType.flatMap(PrometheusError.Kind.init(errorType:))
            switch envelope.result {
            case .vector(let samples)?:
                for sample in samples { touch(sample.point) }
            case .matrix(let series)?:
                for entry in series { entry.points.forEach(touch) }
            case .scalar(let point)?:
                touch(point)
            case .string(let at, _)?:
                _ = at.iso8601
            case nil:
                break
            }
        case .failure(let problem):
            expect(!problem.reason.isEmpty, "an empty problem")
        }
    }

    /// What the signal reader does with a point: its time in messages, its value compared.
    private static func touch(_ point: PrometheusPoint) {
        _ = point.at.iso8601
        _ = point.value.isFinite && point.value > 0
    }
}
