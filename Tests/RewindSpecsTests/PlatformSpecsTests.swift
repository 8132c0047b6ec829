import RewindCore
import RewindSpecs
import Testing

@Suite("Platform specs: what a service's policy takes from them")
struct PlatformSpecsTests {
    @Test("a service without specs has no fallback, no traffic control, no flags and no migration")
    func nothing() {
        var service = ServicePolicy(name: "backend")
        service.adopt(PlatformSpecs(provider: .command(CommandProviderSpec(rollback: ["rollback"]))))
        #expect(service == ServicePolicy(name: "backend"))
    }

    @Test("the policy learns that a fallback and traffic control exist, the flags to turn off and the migration's step")
    func decisionInputs() {
        var service = ServicePolicy(name: "backend")
        service.adopt(
            PlatformSpecs(
                provider: .command(CommandProviderSpec(rollback: ["rollback"])),
                fallback: .command(CommandProviderSpec(rollback: ["promote"])),
                traffic: .flagRollout(
                    FlagRolloutSpec(backend: .flagd(path: "/etc/flagd/flags.json"), flag: "checkout-v2")),
                flags: FeatureFlagsSpec(
                    backend: .flagd(FlagdFlagsSpec(path: "/etc/flagd/flags.json")),
                    disable: ["all_features", "a_b_testing"],
                    timeout: .seconds(4)),
                migration: MigrationSpec(rollback: [], beforeApp: true, irreversible: true, timeout: .seconds(90))))
        #expect(service.hasFallback)
        #expect(service.hasTrafficControl)
        #expect(service.flags == FlagsStep(names: ["all_features", "a_b_testing"], timeout: .seconds(4)))
        #expect(service.migration == MigrationStep(timeout: .seconds(90), beforeApp: true, irreversible: true))
    }

    @Test("a migration without a timeout gets the default one, as its runner does")
    func migrationDefaultTimeout() {
        let spec = MigrationSpec(rollback: ["./migrate", "down"])
        #expect(spec.step == MigrationStep(timeout: Defaults.migrationTimeout, beforeApp: false, irreversible: false))
        #expect(MigrationSpec.defaultTimeout == Defaults.migrationTimeout)
        #expect(FeatureFlagsSpec.defaultTimeout == Defaults.flagsTimeout)
    }
}
