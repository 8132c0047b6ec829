import RewindConfig
import RewindCore
import Testing

@Suite("Routing rules: by event, strategy and severity")
struct RouteRuleTests {
    static let environment = [
        "PAGERDUTY_ROUTING_KEY": "pd-routing-key-value", "SLACK_WEBHOOK_URL": "https://hooks.slack.com/x",
    ]

    static let yaml = """
        notifications:
          console: true
          channels:
            pagerduty: { type: pagerduty, routing_key: "${PAGERDUTY_ROUTING_KEY}" }
            slack-high: { type: slack_webhook, url: "${SLACK_WEBHOOK_URL}" }
          routes:
            - when: { event: initiated, strategy: immediate }
              to: [pagerduty, console]
            - when: { event: initiated, strategy: fast }
              to: [slack-high]
            - when: { severity: critical }
              to: [console]
        """ + "\n" + minimalServices

    static func notice(_ kind: NoticeKind, _ strategy: Strategy?, _ severity: Severity) -> Notice {
        Notice(
            kind: kind, incidentID: 1, services: ["backend"], trigger: .healthCritical, severity: severity,
            timestamp: Timestamp(millisecondsSinceEpoch: 1_790_000_000_000),
            strategy: strategy, actions: [], status: "")
    }

    @Test("immediate pages on-call, fast tells devops, and a notice matching no rule reaches every channel")
    func routesByStrategy() throws {
        let policy = try ConfigLoader.parse(
            yaml: Self.yaml, path: "/etc/rewind/rewind.yaml", environment: Self.environment
        ).get()
            .policy.notifications
        #expect(policy.rules.count == 3)
        #expect(policy.channelNames(for: Self.notice(.initiated, .immediate, .critical)) == ["console", "pagerduty"])
        #expect(policy.channelNames(for: Self.notice(.initiated, .fast, .high)) == ["slack-high"])
        #expect(policy.channelNames(for: Self.notice(.completed, .fast, .critical)) == ["console"])
        #expect(
            policy.channelNames(for: Self.notice(.completed, .fast, .high)) == ["console", "pagerduty", "slack-high"])
    }

    @Test("a rule's unknown strategy or channel is a located problem")
    func ruleProblems() {
        let broken = """
            notifications:
              console: true
              routes:
                - when: { event: initiated, strategy: slow }
                  to: [pager]
                - when: { event: initiated }
            """ + "\n" + minimalServices
        let found = problems(broken, environment: Self.environment)
        #expect(found.contains { $0.line == 4 && $0.path == "notifications.routes[0].when.strategy" })
        #expect(
            found.contains {
                $0.line == 5 && $0.path == "notifications.routes[0].to[0]"
                    && $0.message.contains("unknown channel 'pager'")
            })
        #expect(found.contains { $0.line == 6 && $0.message.contains("to: [channels]") })
    }
}

@Suite("Gradual watch: a combination that can never see improvement is refused")
struct GradualWatchConfigTests {
    @Test("watch 10m with watch_interval 5m cannot fit 3 healthy conversion evaluations")
    func impossibleWatch() {
        let yaml = """
            strategies:
              gradual: { watch: 10m, watch_interval: 5m }
            services:
              frontend:
                checks: [{ name: health, url: "http://127.0.0.1:3000/health" }]
                provider: { type: command, rollback: [true] }
                traffic: { type: flagd, file: /etc/flagd/flags.json, flag: checkout-v2 }
                signals:
                  - { name: conversion_rate, measure: conversion_rate, pushed: conversion_rate }
            """
        let found = problems(yaml)
        #expect(
            found.contains {
                $0.path.hasPrefix("strategies")
                    && $0.message.contains("can never see frontend's conversion_rate improve")
            }, "\(found)")
    }
}
