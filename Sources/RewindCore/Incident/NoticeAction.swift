/// What a person can do straight from a notification (Slack's buttons): acknowledge the incident, or
/// roll back now what observe mode (or a pause) only recorded. The raw value is the button's action id,
/// which the interactivity request carries back; the incident travels as the button's value.
public enum NoticeAction: String, CaseIterable, Sendable {
    case acknowledge = "rewind_acknowledge"
    case rollBackNow = "rewind_roll_back_now"

    /// The actions a notice offers: acknowledge while people may be paged (a rollback started, failed or
    /// escalated), roll back now for an incident only observed.
    public static func offered(for kind: NoticeKind) -> [NoticeAction] {
        switch kind {
        case .initiated, .failed, .escalated: [.acknowledge]
        case .wouldRollBack: [.rollBackNow, .acknowledge]
        case .completed, .channelFailed, .taskOverdue, .earlyWarning: []
        }
    }
}
