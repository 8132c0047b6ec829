/// How one plan step ended.
public enum StepOutcome: Sendable, Equatable, Codable {
    /// The platform now serves the target.
    case succeeded(viaFallback: Bool)
    /// The platform already served the target when Rewind looked: nothing was called.
    case alreadyLive
    /// The step failed, fallback included.
    case failed(String)
    /// Not run, because a step it depends on failed.
    case skipped(String)
    /// A watch step: the trigger recovered while it watched.
    case improved(String)
    /// A watch step: the trigger did not recover; the steps it gates run.
    case noImprovement(String)
    /// Not run, because a watch saw improvement: nothing left to do.
    case notNeeded(String)
    /// Nobody can tell whether the step happened: a Rewind that stopped while the platform ran it
    /// left no answer, the platform cannot say what is live, and calling it again is not known to be
    /// safe. Not a success: the service is verified, then people are told to check.
    case unknown(String)

    public var isSuccess: Bool {
        switch self {
        case .succeeded, .alreadyLive, .improved, .noImprovement, .notNeeded: true
        case .failed, .skipped, .unknown: false
        }
    }

    /// Whether the service is verified after this outcome: a rollback that happened, and one that
    /// may have happened (``unknown(_:)``), whose health tells people where it stands.
    public var needsVerification: Bool {
        switch self {
        case .unknown: true
        default: isSuccess
        }
    }

    public var summary: String {
        switch self {
        case .succeeded(let viaFallback): viaFallback ? "succeeded via fallback" : "succeeded"
        case .alreadyLive: "target already live; nothing called"
        case .failed(let reason): "failed: \(reason)"
        case .skipped(let reason): "skipped: \(reason)"
        case .improved(let detail): "improved: \(detail)"
        case .noImprovement(let detail): "no improvement: \(detail)"
        case .notNeeded(let reason): "not needed: \(reason)"
        case .unknown(let reason): "outcome unknown: \(reason)"
        }
    }
}
