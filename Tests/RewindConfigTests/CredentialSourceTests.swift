import Foundation
import RewindConfig
import RewindCore
import RewindSpecs
import Testing

/// A credential remembers the `${…}` references it came from — names only — so that an error can say
/// what to fix without showing the value.
@Suite("Credential sources")
struct CredentialSourceTests {
    @Test func aChannelCredentialKeepsTheNameOfItsVariableAndNotItsValue() throws {
        let yaml = """
            notifications:
              channels:
                oncall-pager: { type: pagerduty, routing_key: "${PAGERDUTY_ROUTING_KEY}" }
            """ + "\n" + minimalServices
        let (configuration, problems) = parse(yaml, environment: ["PAGERDUTY_ROUTING_KEY": "pd-routing-key-value"])
        #expect(problems.isEmpty)
        let channel = try #require(configuration?.channels.first { $0.name == "oncall-pager" })
        guard case .pagerDuty(let routingKey, _) = channel.kind else {
            Issue.record("expected a PagerDuty channel, got \(channel.kind)")
            return
        }
        #expect(routingKey.value == "pd-routing-key-value")
        #expect(routingKey.sources == ["PAGERDUTY_ROUTING_KEY"])
        #expect(routingKey.writtenSources == "${PAGERDUTY_ROUTING_KEY}")
        #expect(routingKey.description == "<redacted>")
    }

    @Test func filesAndSeveralReferencesAreNamedInOrder() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("smtp-password").path
        try "from-a-file\n".write(toFile: file, atomically: true, encoding: .utf8)
        let yaml = """
            notifications:
              channels:
                oncall-email:
                  type: email
                  host: smtp.example.com
                  username: "${SMTP_USER}@${SMTP_DOMAIN}"
                  password: "${file:\(file)}"
                  from: rewind@example.com
                  to: [oncall@example.com]
            """ + "\n" + minimalServices
        let (configuration, problems) = parse(yaml, environment: ["SMTP_USER": "rewind", "SMTP_DOMAIN": "example.com"])
        #expect(problems.isEmpty)
        let channel = try #require(configuration?.channels.first { $0.name == "oncall-email" })
        guard case .email(let email) = channel.kind else {
            Issue.record("expected an e-mail channel, got \(channel.kind)")
            return
        }
        #expect(email.username?.value == "rewind@example.com")
        #expect(email.username?.sources == ["SMTP_USER", "SMTP_DOMAIN"])
        #expect(email.username?.writtenSources == "${SMTP_USER} and ${SMTP_DOMAIN}")
        #expect(email.password?.sources == ["file:\(file)"])
        #expect(email.password?.value == "from-a-file")
    }

    @Test func sourcesAreProvenanceNotContent() {
        let fromA = ConfigText("same", isSecret: true, sources: ["A"])
        let fromB = ConfigText("same", isSecret: true, sources: ["B"])
        // Where a value came from does not make it secret; its position in the config does.
        #expect(!ConfigText("same", sources: ["A"]).isSecret)
        #expect(fromA == fromB)
        #expect(Set([fromA, fromB]).count == 1)
        #expect(fromA == ConfigText("same", isSecret: true))
        #expect(fromA != ConfigText("same"))
        #expect(ConfigText("inline").writtenSources == nil)
    }
}
