import RewindSignals
import Testing

@Suite("PromQLTemplate")
struct PromQLTemplateTests {
    private let known: Set<String> = ["service", "deployment.version"]

    @Test func fillsALabelValue() {
        let template = #"sum(rate(http_requests_total{service="{{service}}", code=~"5.."}[5m]))"#
        #expect(
            PromQLTemplate.render(template, ["service": "checkout"])
                == #"sum(rate(http_requests_total{service="checkout", code=~"5.."}[5m]))"#
        )
        #expect(PromQLTemplate.validate(template, knownNames: known) == [])
        #expect(PromQLTemplate.placeholderNames(in: template) == ["service"])
    }

    @Test func aValueCannotLeaveItsString() {
        let template = #"sum(up{service="{{service}}"})"#
        let rendered = PromQLTemplate.render(template, ["service": #""} or vector(1) #"#])
        #expect(rendered == #"sum(up{service="\"} or vector(1) #"})"#)
        // Still one closed string, nothing outside it changed.
        #expect(PromQLTemplate.validate(rendered, knownNames: []) == [])
        #expect(rendered.hasPrefix(#"sum(up{service=""#))
        #expect(rendered.hasSuffix(#""})"#))
    }

    @Test func escapesBackslashesNewlinesAndControlCharacters() {
        let rendered = PromQLTemplate.render(#"up{a="{{service}}"}"#, ["service": "x\\\"y\nz\t\u{1}"])
        #expect(rendered == #"up{a="x\\\"y\nz\t\u0001"}"#)
    }

    @Test func aValueInARegexMatcherMatchesOnlyItself() {
        let rendered = PromQLTemplate.render(
            #"up{service=~"{{service}}|{{service}}-canary", env!~ "{{deployment.version}}"}"#,
            ["service": "api.v1", "deployment.version": "1.*"]
        )
        #expect(rendered == #"up{service=~"api\\.v1|api\\.v1-canary", env!~ "1\\.\\*"}"#)
    }

    @Test func leavesMisusedAndUnknownPlaceholdersAsWritten() {
        let template = #"sum by ({{service}}) (up{a='{{service}}', b=`{{service}}`, c="{{unknown}}"}) # {{service}}"#
        #expect(PromQLTemplate.render(template, ["service": "checkout"]) == template)
    }

    @Test func allowsSpacesInsideTheBraces() {
        #expect(PromQLTemplate.render(#"up{service="{{ service }}"}"#, ["service": "a"]) == #"up{service="a"}"#)
    }

    @Test func leavesEscapedQuotesInTheTemplateAlone() {
        let template = #"up{a="say \"{{service}}\""}"#
        #expect(PromQLTemplate.render(template, ["service": "hi"]) == #"up{a="say \"hi\""}"#)
        #expect(PromQLTemplate.validate(template, knownNames: known) == [])
    }

    @Test func flagsPlaceholdersOutsideDoubleQuotes() {
        let problems = PromQLTemplate.validate(#"sum by ({{service}}) (up)"#, knownNames: known)
        #expect(problems.count == 1)
        #expect(problems.first?.contains("`{{service}}` at character 9 is outside a double-quoted string") == true)

        for template in [#"up{a='{{service}}'}"#, "up{a=`{{service}}`}"] {
            let problems = PromQLTemplate.validate(template, knownNames: known)
            #expect(problems.count == 1, "\(template)")
            #expect(problems.first?.contains("only appear inside double quotes") == true)
        }

        let comment = PromQLTemplate.validate("up # {{service}}", knownNames: known)
        #expect(comment.first?.contains("outside a double-quoted string") == true)
    }

    @Test func flagsUnknownNames() {
        let problems = PromQLTemplate.validate(#"up{service="{{servce}}"}"#, knownNames: known)
        #expect(
            problems == [
                "`{{servce}}` at character 13 is not a known placeholder (known: {{deployment.version}}, {{service}})"
            ]
        )
    }

    @Test func flagsBrokenPlaceholdersUnclosedStringsAndEmptyQueries() {
        #expect(
            PromQLTemplate.validate(#"up{service="{{service"}"#, knownNames: known)
                == ["`{{` at character 13 does not form a placeholder such as `{{service}}`"]
        )
        let unclosed = PromQLTemplate.validate(#"up{service="{{service}}}"#, knownNames: known)
        #expect(unclosed.contains { $0.contains("string literal opened at character 12 is not closed") })
        #expect(PromQLTemplate.validate("  ", knownNames: known) == ["the query is empty"])
    }

    @Test func doesNotFillAnUnclosedString() {
        let template = #"up{service="{{service}}"#
        #expect(PromQLTemplate.render(template, ["service": "a"]) == template)
    }
}
