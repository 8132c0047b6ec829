import Foundation
import RewindCore
import RewindSpecs

@testable import RewindPorts
@testable import RewindProviders

/// flagd flag files, as `FlagdSwitch` and `FlagdRollout` read them: any document gives each flag's state and
/// traffic split or a ``ProviderError``, never a trap. A split is a share in 0…1; rewriting a flag to a share
/// and reading it back gives that share (what `setNewVersionShare` then `newVersionShare` promise).
enum FlagdTarget {
    static let kills: [FlagdFlagsSpec.Kill] = [.disabledState, .defaultVariant("off")]

    static func run(_ bytes: [UInt8]) {
        guard case .object(let document)? = try? JSONDecoder().decode(JSONValue.self, from: Data(bytes)),
            case .object(let flags)? = document["flags"]
        else { return }
        for (name, definition) in flags.sorted(by: { $0.key < $1.key }).prefix(8) {
            for kill in kills { _ = FlagdSwitch.isOn(definition, kill: kill) }
            guard case .object(let fields) = definition else { continue }
            let split = FlagdSplit(flag: name, new: "on", stable: "off", purpose: "move traffic", path: "/flags.json")
            let share: Double
            do {
                share = try split.share(of: fields)
            } catch {
                expectProviderError(error)
                continue
            }
            expect(share.isFinite && (0...1).contains(share), "flag \(name) splits \(share) to the new variant")
            for weight in [0, 37, FlagdRollout.totalWeight] {
                do {
                    guard let rewritten = try split.setting(newWeight: weight, in: fields) else { continue }
                    let target = Double(weight) / Double(FlagdRollout.totalWeight)
                    let reread = try split.share(of: rewritten)
                    expect(abs(reread - target) < 0.005, "flag \(name) rewritten to \(target) reads back \(reread)")
                } catch {
                    expectProviderError(error)
                }
            }
        }
    }

    private static func expectProviderError(_ error: any Error) {
        guard let error = error as? ProviderError else { return expect(false, "\(error) is not a ProviderError") }
        expectSound(error, "flagd")
    }
}
