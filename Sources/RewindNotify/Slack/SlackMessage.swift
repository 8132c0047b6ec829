import RewindCore

/// A Slack message: `text` (the notification and fallback text) and Block Kit `blocks` — the rendered
/// message in `section` blocks of at most 3000 characters, then a `context` block naming the incident
/// (a link to it on the dashboard with `server.public_url`), then, when the channel's app is
/// interactive, an `actions` block: Acknowledge while people may be paged, and Roll back now for an
/// incident observe mode only recorded. Their `action_id`s are ``NoticeAction``'s; `value` is the incident.
struct SlackMessage: Encodable, Sendable {
    /// Slack's limit on a section's text.
    static let sectionLimit = 3000
    /// Slack truncates `text` beyond this.
    static let textLimit = 40_000
    /// Slack accepts at most 50 blocks; one is the context, one the actions.
    static let maxSections = 48

    var channel: String?
    var text: String
    var blocks: [Block]

    init(_ notice: Notice, templates: NoticeTemplates, channel: String? = nil, links: IncidentLinks = .init()) {
        let rendered = templates.render(notice, as: .slackMrkdwn)
        self.channel = channel
        self.text = MrkdwnText.prefix(rendered, limit: Self.textLimit)
        var sections = MrkdwnText.split(rendered, limit: Self.sectionLimit)
        if sections.count > Self.maxSections {
            sections = Array(sections.prefix(Self.maxSections))
            sections[Self.maxSections - 1] = MrkdwnText.prefix(
                sections[Self.maxSections - 1] + "\n…",
                limit: Self.sectionLimit
            )
        }
        // An early warning is about no incident: nothing to link to.
        let context =
            notice.kind == .earlyWarning
            ? "Rewind early warning (no incident, nothing rolled back)"
            : links.incident(notice.incidentID).map { "<\($0)|Rewind incident #\(notice.incidentID)>" }
                ?? "Rewind incident #\(notice.incidentID)"
        self.blocks = sections.map { Block.section($0) } + [.context(context)]
        let actions = links.buttons ? NoticeAction.offered(for: notice.kind) : []
        if !actions.isEmpty {
            blocks.append(.actions(actions.map { .button(.of($0, incident: notice.incidentID)) }))
        }
    }

    /// One Block Kit block.
    struct Block: Encodable, Sendable, Equatable {
        struct Text: Encodable, Sendable, Equatable {
            var type = "mrkdwn"
            var text: String
        }

        /// A button of an `actions` block.
        struct Button: Encodable, Sendable, Equatable {
            struct Label: Encodable, Sendable, Equatable {
                var type = "plain_text"
                var text: String
            }
            struct Confirm: Encodable, Sendable, Equatable {
                var title: Label
                var text: Label
                var confirm: Label
                var deny: Label
            }
            var type = "button"
            var text: Label
            var actionID: String
            var value: String
            var style: String?
            var confirm: Confirm?

            enum CodingKeys: String, CodingKey {
                case type, text, value, style, confirm
                case actionID = "action_id"
            }
        }

        enum Element: Encodable, Sendable, Equatable {
            case text(Text)
            case button(Button)

            func encode(to encoder: any Encoder) throws {
                switch self {
                case .text(let text): try text.encode(to: encoder)
                case .button(let button): try button.encode(to: encoder)
                }
            }
        }

        var type: String
        var text: Text?
        var elements: [Element]?

        static func section(_ mrkdwn: String) -> Block {
            Block(type: "section", text: Text(text: mrkdwn), elements: nil)
        }

        static func context(_ mrkdwn: String) -> Block {
            Block(type: "context", text: nil, elements: [.text(Text(text: mrkdwn))])
        }

        static func actions(_ elements: [Element]) -> Block {
            Block(type: "actions", text: nil, elements: elements)
        }
    }
}

/// Cutting escaped mrkdwn without breaking an entity (`&amp;`, `&lt;`, `&gt;`) in two.
enum MrkdwnText {
    /// Pieces of at most `limit` characters, cut at line ends where possible.
    static func split(_ text: String, limit: Int) -> [String] {
        var pieces: [String] = []
        var current = ""
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let candidate = current.isEmpty ? String(line) : current + "\n" + line
            if candidate.count <= limit {
                current = candidate
                continue
            }
            if !current.isEmpty { pieces.append(current) }
            var rest = String(line)
            while rest.count > limit {
                let head = prefix(rest, limit: limit, ellipsis: false)
                pieces.append(head)
                rest = String(rest.dropFirst(head.count))
            }
            current = rest
        }
        if !current.isEmpty || pieces.isEmpty { pieces.append(current) }
        return pieces
    }

    /// At most `limit` characters; a cut text ends with `…` unless `ellipsis` is false.
    static func prefix(_ text: String, limit: Int, ellipsis: Bool = true) -> String {
        guard text.count > limit else { return text }
        var head = String(text.prefix(ellipsis ? limit - 1 : limit))
        // An entity is at most 5 characters (`&amp;`): drop a trailing `&…` that lost its `;`.
        if let ampersand = head.suffix(4).lastIndex(of: "&"), !head[ampersand...].contains(";") {
            head = String(head[..<ampersand])
        }
        if head.isEmpty { head = String(text.prefix(1)) }
        return ellipsis ? head + "…" : head
    }
}

extension SlackMessage.Block.Button {
    /// The button of `action` for `incident`; rolling back asks for a confirmation first.
    static func of(_ action: NoticeAction, incident: Int64) -> Self {
        switch action {
        case .acknowledge:
            Self(text: Label(text: "Acknowledge"), actionID: action.rawValue, value: "\(incident)")
        case .rollBackNow:
            Self(
                text: Label(text: "Roll back now"), actionID: action.rawValue, value: "\(incident)", style: "danger",
                confirm: Confirm(
                    title: Label(text: "Roll back now?"),
                    text: Label(
                        text: "Rewind rolls back what incident #\(incident) only recorded, as a manual rollback by you."
                    ),
                    confirm: Label(text: "Roll back"), deny: Label(text: "Cancel")))
        }
    }
}
