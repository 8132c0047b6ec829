import RewindCore

/// A Slack message: `text` (the notification and fallback text) and Block Kit `blocks` — the rendered
/// message in `section` blocks of at most 3000 characters, then a `context` block naming the incident.
struct SlackMessage: Encodable, Sendable {
    /// Slack's limit on a section's text.
    static let sectionLimit = 3000
    /// Slack truncates `text` beyond this.
    static let textLimit = 40_000
    /// Slack accepts at most 50 blocks; one is the context.
    static let maxSections = 49

    var channel: String?
    var text: String
    var blocks: [Block]

    init(_ notice: Notice, templates: NoticeTemplates, channel: String? = nil) {
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
        self.blocks = sections.map { Block.section($0) } + [.context("Rewind incident #\(notice.incidentID)")]
    }

    /// One Block Kit block.
    struct Block: Encodable, Sendable, Equatable {
        struct Text: Encodable, Sendable, Equatable {
            var type = "mrkdwn"
            var text: String
        }

        var type: String
        var text: Text?
        var elements: [Text]?

        static func section(_ mrkdwn: String) -> Block {
            Block(type: "section", text: Text(text: mrkdwn), elements: nil)
        }

        static func context(_ mrkdwn: String) -> Block {
            Block(type: "context", text: nil, elements: [Text(text: mrkdwn)])
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
