import RewindCore

/// The built-in messages: the rollback guide's three templates, in its shape and wording, plus
/// escalations (whose title names the audience: `ESCALATION TO MANAGEMENT`) and observe mode in the
/// same style.
///
/// They are written in the guide's Markdown (`**bold**`). Variables are those of
/// ``NoticeTemplates/context(_:)``; optional values (`duration`, `error`, `strategy`, `audience`)
/// are absent when unknown, so an inverted section (`{{^error}}…{{/error}}`) supplies the fallback.
enum DefaultTemplates {
    static func source(for kind: NoticeKind) -> String {
        switch kind {
        case .initiated: initiated
        case .completed: completed
        case .failed: failed
        case .escalated: escalated
        case .wouldRollBack: wouldRollBack
        case .channelFailed: channelFailed
        case .taskOverdue: taskOverdue
        case .earlyWarning: earlyWarning
        }
    }

    static let initiated = """
        {{emoji}} {{title}}

        **Service**: {{service}}
        **Trigger**: {{trigger}}
        **Severity**: {{severity}}
        **Time**: {{timestamp}}

        **Actions Taken**:
        \(list("actions", empty: "none yet"))

        **Why**:
        \(list("evidence", empty: "no evidence recorded"))

        **Next Steps**:
        \(numbered("next_steps"))
        """

    static let completed = """
        ✅ ROLLBACK COMPLETED SUCCESSFULLY

        **Service**: {{service}}
        **Duration**: {{duration}}{{^duration}}unknown{{/duration}}
        **Status**: {{status}}

        **Verification Results**:
        \(list("verification_results", empty: "no verification results recorded"))

        **Next Steps**:
        \(numbered("next_steps"))
        """

    static let failed = """
        ❌ ROLLBACK FAILED

        **Service**: {{service}}
        **Error**: {{error}}{{^error}}not reported{{/error}}
        **Duration**: {{duration}}{{^duration}}unknown{{/duration}}

        **Immediate Actions Required**:
        \(numbered("next_steps"))
        """

    static let escalated = """
        {{emoji}} {{title}}

        **Service**: {{service}}
        **Trigger**: {{trigger}}
        **Severity**: {{severity}}
        **Time**: {{timestamp}}
        **Status**: {{status}}
        {{#error}}
        **Error**: {{error}}
        {{/error}}

        **Why**:
        \(list("evidence", empty: "no evidence recorded"))

        **Immediate Actions Required**:
        \(numbered("next_steps"))
        """

    static let earlyWarning = """
        {{emoji}} {{title}}

        **Service**: {{service}}
        **Trigger**: {{trigger}}
        **Time**: {{timestamp}}
        **Status**: {{status}}

        **What Was Seen**:
        \(list("evidence", empty: "no evidence recorded"))

        **Next Steps**:
        \(numbered("next_steps"))
        """

    static let wouldRollBack = """
        {{emoji}} {{title}}

        **Service**: {{service}}
        **Trigger**: {{trigger}}
        **Severity**: {{severity}}
        **Time**: {{timestamp}}
        **Strategy**: {{strategy}}{{^strategy}}none{{/strategy}}

        **Would Take These Actions**:
        \(list("actions", empty: "none"))

        **Why**:
        \(list("evidence", empty: "no evidence recorded"))

        **Next Steps**:
        \(numbered("next_steps"))
        """

    static let channelFailed = """
        {{emoji}} {{title}}

        **Channel**: {{failed_channel}}
        **Incident**: #{{incident}} ({{service}}, {{trigger}})
        **Time**: {{timestamp}}
        **Error**: {{error}}{{^error}}not reported{{/error}}

        Notices of this incident may not have reached the people this channel speaks to.

        **Next Steps**:
        \(numbered("next_steps"))
        """

    static let taskOverdue = """
        {{emoji}} {{title}}

        **Incident**: #{{incident}} ({{service}}, {{trigger}})
        **Owner**: {{audience}}{{^audience}}not an audience{{/audience}}
        **Time**: {{timestamp}}

        **Overdue**:
        \(list("actions", empty: "none"))

        **Next Steps**:
        \(numbered("next_steps"))
        """

    /// A bulleted list of `name`, or one `empty` bullet; standalone section tags leave no blank lines.
    private static func list(_ name: String, empty: String) -> String {
        """
        {{#\(name)}}
        - {{.}}
        {{/\(name)}}
        {{^\(name)}}
        - \(empty)
        {{/\(name)}}
        """
    }

    /// A list whose entries are already numbered (`1. Monitor rollback progress`).
    private static func numbered(_ name: String) -> String {
        """
        {{#\(name)}}
        {{.}}
        {{/\(name)}}
        """
    }
}
