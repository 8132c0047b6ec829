import RewindCore
import RewindNotify
import Testing

@Suite("NoticeTemplates")
struct NoticeTemplatesTests {
    let templates = NoticeTemplates.builtIn

    @Test func initiatedIsTheGuidesMessage() {
        let text = templates.render(channelNotice(.initiated, durationMs: nil), as: .plainText)
        #expect(
            text == """
                🚨 AUTOMATED ROLLBACK INITIATED

                **Service**: backend, worker
                **Trigger**: health_critical
                **Severity**: critical
                **Time**: 2026-09-21T14:13:20.250Z

                **Actions Taken**:
                - roll back backend v42 → v41 (timeout 30s)
                - freeze deployments for 1h

                **Why**:
                - 3 consecutive failures within 2m
                - 2026-09-21T14:13:20.250Z GET /health HTTP 503 (12 ms)

                **Next Steps**:
                1. Monitor rollback progress
                2. Verify service health
                3. Investigate root cause
                4. Plan remediation
                """
        )
    }

    @Test func completedHasTheGuidesFields() {
        let text = templates.render(channelNotice(.completed), as: .plainText)
        for expected in [
            "✅ ROLLBACK COMPLETED SUCCESSFULLY", "**Service**: backend, worker", "**Duration**: 42s",
            "**Status**: rolling back", "**Verification Results**:\n- backend: healthy (HTTP 200)",
            "**Next Steps**:\n1. Monitor service stability\n2. Investigate root cause\n3. Plan next deployment\n"
                + "4. Update runbooks",
        ] {
            #expect(text.contains(expected), "missing \(expected) in\n\(text)")
        }
    }

    @Test func failedHasTheGuidesFields() {
        let text = templates.render(channelNotice(.failed, error: "platform answered 503"), as: .plainText)
        for expected in [
            "❌ ROLLBACK FAILED", "**Service**: backend, worker", "**Error**: platform answered 503",
            "**Duration**: 42s",
            "**Immediate Actions Required**:\n1. Manual intervention needed\n2. Check service status\n"
                + "3. Verify infrastructure\n4. Contact on-call engineer",
        ] {
            #expect(text.contains(expected), "missing \(expected) in\n\(text)")
        }
    }

    @Test func missingValuesHaveAFallback() {
        let text = templates.render(channelNotice(.failed, durationMs: nil, error: nil), as: .plainText)
        #expect(text.contains("**Error**: not reported"))
        #expect(text.contains("**Duration**: unknown"))
        #expect(!text.contains("\n\n\n"))
    }

    @Test func escalationNamesItsAudience() {
        let text = templates.render(channelNotice(.escalated, audience: .management), as: .plainText)
        #expect(text.hasPrefix("⚠️ ESCALATION TO MANAGEMENT\n\n**Service**: backend, worker\n"))
        #expect(text.contains("**Immediate Actions Required**:\n1. Manual intervention needed"))
        let withoutAudience = templates.render(channelNotice(.escalated), as: .plainText)
        #expect(withoutAudience.hasPrefix("⚠️ ESCALATED: NO ROLLBACK\n"))
    }

    @Test func observeModeSaysWhatItWouldDo() {
        let text = templates.render(channelNotice(.wouldRollBack), as: .plainText)
        #expect(text.hasPrefix("👀 OBSERVE MODE: WOULD ROLL BACK"))
        #expect(text.contains("**Strategy**: immediate"))
        #expect(text.contains("**Would Take These Actions**:\n- roll back backend"))
    }

    @Test func aManualRollbackIsAnnouncedAsManual() {
        let text = templates.render(manualNotice(), as: .plainText)
        #expect(text.hasPrefix("🚨 MANUAL ROLLBACK INITIATED\n\n**Service**: backend\n**Trigger**: manual\n"))
        #expect(!text.contains("AUTOMATED"))
    }

    @Test func anOverdueTaskReminderListsEachTaskForItsOwner() {
        let text = templates.render(taskOverdueNotice(), as: .plainText)
        #expect(
            text.hasPrefix(
                "⏰ POST-ROLLBACK WORK OVERDUE\n\n**Incident**: #7 (backend, health_critical)\n**Owner**: devops\n"),
            "\(text)")
        #expect(text.contains("- Analyze logs (investigation.analyze_logs), due 2026-11-27T12:31:08.250Z, 5m overdue"))
        #expect(text.contains("rewind incidents task N TASK --state"))
        #expect(!text.contains("Immediate Actions Required"))
    }

    @Test func aFailedChannelHasItsOwnMessageNamingTheChannel() {
        let text = templates.render(channelFailedNotice("oncall-pager"), as: .plainText)
        #expect(
            text.hasPrefix(
                "📵 NOTIFICATION CHANNEL FAILED: ONCALL-PAGER\n\n**Channel**: oncall-pager\n"
                    + "**Incident**: #7 (backend, worker, health_critical)\n"))
        #expect(text.contains("**Error**: could not notify channel oncall-pager"))
        #expect(!text.contains("ESCALATED"))
        #expect(!text.contains("Immediate Actions Required"))
        #expect(
            NoticeTemplates.context(channelFailedNotice("oncall-pager"))["failed_channel"] as? String == "oncall-pager")
    }

    @Test func theChannelFailedTemplateCanBeOverridden() throws {
        let custom = try NoticeTemplates(overrides: [
            .channelFailed: "{{failed_channel}} is down (incident {{incident}})"
        ])
        #expect(
            custom.render(channelFailedNotice("oncall-pager"), as: .plainText) == "oncall-pager is down (incident 7)")
        #expect(custom.render(channelFailedNotice("a<b"), as: .slackMrkdwn) == "a&lt;b is down (incident 7)")
        #expect(custom.render(channelNotice(.initiated), as: .plainText).hasPrefix("🚨 AUTOMATED ROLLBACK INITIATED"))
    }

    @Test func slackFormatEscapesValuesAndUsesSlackBold() {
        let notice = channelNotice(.failed, services: ["<script>\"x\" & co"], error: "<!channel> broke")
        let slack = templates.render(notice)
        #expect(slack.contains("*Service*: &lt;script&gt;\"x\" &amp; co"))
        #expect(slack.contains("*Error*: &lt;!channel&gt; broke"))
        #expect(!slack.contains("**"))
        #expect(!slack.contains("<"))
        let plain = templates.render(notice, as: .plainText)
        #expect(plain.contains("**Service**: <script>\"x\" & co"))
    }

    @Test func overridesReplaceOnlyTheirEvent() throws {
        let custom = try NoticeTemplates(overrides: [
            .failed: "{{emoji}} {{service}} failed after {{duration}}: {{error}}{{#actions}} [{{.}}]{{/actions}}"
        ])
        let failed = custom.render(channelNotice(.failed, error: "boom"), as: .plainText)
        #expect(
            failed == "❌ backend, worker failed after 42s: boom [roll back backend v42 → v41 (timeout 30s)] "
                + "[freeze deployments for 1h]"
        )
        let initiated = custom.render(channelNotice(.initiated), as: .plainText)
        #expect(initiated.hasPrefix("🚨 AUTOMATED ROLLBACK INITIATED"))
    }

    @Test func aBrokenOverrideThrowsNamingTheEvent() {
        #expect {
            try NoticeTemplates(overrides: [.completed: "ok\n{{#actions}}- {{.}}\n"])
        } throws: { error in
            guard let error = error as? NoticeTemplateError else { return false }
            return error.event == .completed && error.message.contains("completed event")
                && error.message.contains("line") && error.code == "template_invalid"
        }
        #expect(throws: NoticeTemplateError.self) {
            try NoticeTemplates(overrides: [.escalated: "{{#audience}}x{{/service}}"])
        }
    }

    @Test func contextHasEveryDocumentedVariable() {
        let context = NoticeTemplates.context(channelNotice(.escalated, error: "e", audience: .oncall))
        for key in [
            "service", "services", "trigger", "severity", "timestamp", "strategy", "actions", "duration", "status",
            "verification_results", "error", "evidence", "next_steps", "incident", "audience", "title",
        ] {
            #expect(context[key] != nil, "missing \(key)")
        }
        #expect(context["incident"] as? String == "7")
        #expect((context["next_steps"] as? [String])?.first == "1. Manual intervention needed")
        #expect(NoticeTemplates.context(channelNotice(.initiated, durationMs: nil))["duration"] == nil)
    }
}
