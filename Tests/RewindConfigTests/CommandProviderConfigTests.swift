import RewindConfig
import RewindSpecs
import Testing

@Suite("Config: the command provider")
struct CommandProviderConfigTests {
    private func commandSpec(_ extra: String) -> CommandProviderSpec? {
        let yaml = """
            services:
              api:
                checks: [{ name: h, url: "https://api.example.com" }]
                provider:
                  type: command
                  rollback: [./rollback.sh, "{{target.id}}"]
                  \(extra)
            """
        guard case .command(let spec)? = parse(yaml).configuration?.firstServiceSpecs?.provider else { return nil }
        return spec
    }

    @Test("a rollback command is not idempotent unless the policy says so")
    func idempotentDefaultsToFalse() throws {
        #expect(try #require(commandSpec("")).idempotent == false)
        #expect(try #require(commandSpec("idempotent: true")).idempotent == true)
        #expect(try #require(commandSpec("idempotent: false")).idempotent == false)
    }

    @Test("idempotent takes true or false only")
    func idempotentMustBeABoolean() {
        let found = problems(
            """
            services:
              api:
                checks: [{ name: h, url: "https://api.example.com" }]
                provider: { type: command, rollback: [./rollback.sh], idempotent: sometimes }
            """)
        #expect(found.map(\.message) == ["expected true or false, got 'sometimes'"])
    }
}
