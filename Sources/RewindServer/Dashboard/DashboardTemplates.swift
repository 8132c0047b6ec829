import Mustache
import RewindCore

/// The dashboard's HTML: the page shell, and the two fragments its script loads and swaps in (the
/// overview, one incident). Mustache templates compiled once; every `{{value}}` is HTML-escaped
/// (`& < > " '`), and no template uses the unescaped `{{{…}}}`. Data reaches the page only through
/// these fragments; the shell holds none.
enum DashboardTemplates {
    static let library: MustacheLibrary = {
        var library = MustacheLibrary()
        let sources = [
            "shell": shellSource, "overview": overviewSource, "incidentHead": incidentHeadSource,
            "incident": incidentSource,
        ]
        for (name, source) in sources {
            do {
                try library.register(source, named: name)
            } catch {
                preconditionFailure("the built-in dashboard template \(name) does not compile: \(error)")
            }
        }
        return library
    }()

    static func renderShell() -> String {
        render(["version": RewindVersion.current], "shell")
    }

    static func render(_ view: OverviewView) -> String { render(view, "overview") }

    static func render(_ view: IncidentDetailView) -> String { render(view, "incident") }

    private static func render(_ object: Any, _ template: String) -> String {
        guard let html = library.render(object, withTemplate: template) else {
            preconditionFailure("the built-in dashboard template \(template) is missing")
        }
        return html
    }

    /// `GET /`: no data, no inline script or style (the Content-Security-Policy forbids both).
    static let shellSource = """
        <!doctype html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>Rewind</title>
        <link rel="stylesheet" href="/dashboard.css">
        <script src="/dashboard.js" defer></script>
        </head>
        <body>
        <header>
          <h1>Rewind</h1>
          <span class="muted">{{version}}</span>
          <span id="live" class="badge muted">offline</span>
          <form id="token-form" autocomplete="off">
            <label>API token <input id="token" type="password" spellcheck="false"></label>
            <button type="submit" id="token-use">Use token</button>
            <button type="button" id="token-forget">Forget</button>
          </form>
        </header>
        <p id="message" role="status"></p>
        <main>
          <div id="overview" aria-live="polite"><p class="muted">Loading…</p></div>
          <div id="incident" aria-live="polite"></div>
        </main>
        <dialog id="confirm">
          <form method="dialog" id="confirm-form">
            <h2 id="confirm-title"></h2>
            <p id="confirm-text"></p>
            <label class="field" data-field="to">Target deployment id (empty: the newest known good)
              <input id="field-to" spellcheck="false"></label>
            <label class="field" data-field="reason">Reason <input id="field-reason"></label>
            <label class="field" data-field="duration">For <input id="field-duration" value="1h"></label>
            <label class="field" data-field="by">Acknowledged by <input id="field-by"></label>
            <p class="buttons">
              <button value="cancel" id="confirm-cancel" formnovalidate>Cancel</button>
              <button value="ok" id="confirm-ok" class="danger">Confirm</button>
            </p>
          </form>
        </dialog>
        </body>
        </html>

        """

    /// `GET /dashboard/overview`: freeze state, open incidents with their steps, services, recent incidents.
    static let overviewSource = """
        <section id="freeze-state" class="freeze" data-frozen="{{frozen}}">
        {{#freeze}}
          <span class="badge bad">frozen</span> until {{until}}: {{reason}}{{#setBy}} (set by {{setBy}}){{/setBy}}
          <button type="button" data-action="unfreeze">Unfreeze</button>
        {{/freeze}}
        {{^freeze}}
          <span class="badge ok">deployments not frozen</span>
          <button type="button" data-action="freeze">Freeze…</button>
        {{/freeze}}
          <span class="muted">mode {{mode}} · as of {{generatedAt}}</span>
        </section>
        <section id="automation-state" class="freeze" data-paused="{{allPaused}}">
        {{#allPause}}
          <span class="badge warn">automation paused</span> for every service since {{setAt}}{{#setBy}} by {{setBy}}{{/setBy}}: {{reason}}
          <button type="button" data-action="resume">Resume automation</button>
        {{/allPause}}
        {{^allPause}}
          <span class="badge ok">automation on</span>
          <button type="button" data-action="pause">Pause automation…</button>
        {{/allPause}}
        </section>
        <h2>Open incidents</h2>
        {{#openIncidents}}
        {{> incidentHead}}
        {{/openIncidents}}
        {{^openIncidents}}<p class="muted" id="no-open-incidents">None.</p>{{/openIncidents}}
        <h2>Services</h2>
        {{#services}}
        <table class="service" data-service="{{name}}">
          <caption>
            <strong>{{name}}</strong>
            live <code>{{live}}</code> <span class="badge {{liveTrustClass}}">{{liveTrust}}</span>
            · known good <code>{{knownGood}}</code>
            <button type="button" data-action="rollback" data-service="{{name}}">Roll back…</button>
            {{#pause}}<span class="badge warn">automation paused</span> since {{setAt}}{{#setBy}} by {{setBy}}{{/setBy}}: {{reason}}
            <button type="button" data-action="resume" data-service="{{name}}">Resume</button>{{/pause}}
            {{^pause}}<button type="button" data-action="pause" data-service="{{name}}">Pause…</button>{{/pause}}
          </caption>
          <thead><tr><th>check / signal</th><th>state</th><th>current value</th><th>threshold</th><th>last hour</th></tr></thead>
          <tbody>
          {{#rows}}
            <tr data-row="{{kind}}/{{name}}">
              <td>{{name}} <span class="muted">{{kind}}</span></td>
              <td><span class="badge {{stateClass}}">{{state}}</span></td>
              <td>{{value}}</td>
              <td>{{threshold}}</td>
              <td>{{#chart}}{{#empty}}<span class="muted">no values yet</span>{{/empty}}{{^empty}}\
        <svg class="chart" width="240" height="36" viewBox="0 0 240 36" role="img"><title>{{range}}</title>\
        <polyline points="{{points}}"/>{{#last}}<circle class="last" cx="{{x}}" cy="{{y}}" r="2"/>{{/last}}\
        {{#dots}}<circle class="bad" cx="{{x}}" cy="{{y}}" r="2.5"/>{{/dots}}</svg>{{/empty}}{{/chart}}</td>
            </tr>
          {{/rows}}
          {{^rows}}<tr><td colspan="5" class="muted">No checks or signals reported yet.</td></tr>{{/rows}}
          </tbody>
        </table>
        {{/services}}
        <h2>Recent incidents</h2>
        <table class="recent">
          <thead><tr><th>#</th><th>opened</th><th>status</th><th>services</th><th>summary</th><th></th></tr></thead>
          <tbody>
          {{#recent}}
            <tr data-incident="{{id}}">
              <td>{{id}}</td><td class="at">{{openedAt}}</td><td><span class="badge {{statusClass}}">{{status}}</span></td>
              <td>{{services}}</td><td>{{summary}}</td>
              <td><button type="button" data-action="show" data-incident="{{id}}">Timeline</button></td>
            </tr>
          {{/recent}}
          {{^recent}}<tr><td colspan="6" class="muted">No incidents recorded.</td></tr>{{/recent}}
          </tbody>
        </table>

        """

    /// An incident's head and plan steps: in the overview (open incidents) and atop its detail.
    static let incidentHeadSource = """
        <article class="incident" data-incident="{{id}}" data-status="{{status}}">
          <h3>#{{id}} <span class="badge {{statusClass}}">{{status}}</span> {{services}}
            <span class="muted">{{severity}} · {{trigger}} · {{strategy}} · opened {{openedAt}}{{#closedAt}} · closed {{closedAt}}{{/closedAt}}</span></h3>
          <p>{{summary}}</p>
          {{#reason}}<p>Reason: {{reason}}</p>{{/reason}}
          {{#acknowledgedBy}}<p>Acknowledged by {{acknowledgedBy}}</p>{{/acknowledgedBy}}
          {{#hasSteps}}
          <table class="steps">
            <thead><tr><th>step</th><th>action</th><th>service</th><th>to</th><th>state</th><th></th></tr></thead>
            <tbody>
            {{#steps}}
              <tr data-step="{{id}}"><td><code>{{id}}</code></td><td>{{action}}</td><td>{{service}}</td><td><code>{{target}}</code></td>
                <td><span class="badge {{stateClass}}">{{state}}</span></td><td>{{detail}}</td></tr>
            {{/steps}}
            </tbody>
          </table>
          {{/hasSteps}}
          <p class="buttons">
            <button type="button" data-action="show" data-incident="{{id}}">Timeline</button>
            {{#isOpen}}<button type="button" data-action="ack" data-incident="{{id}}">Acknowledge…</button>{{/isOpen}}
          </p>
        </article>

        """

    /// `GET /dashboard/incidents/N`: the head, the evidence that opened it, its timeline.
    static let incidentSource = """
        <section class="detail" data-incident="{{incident.id}}">
        <h2>Incident #{{incident.id}}</h2>
        {{#incident}}{{> incidentHead}}{{/incident}}
        {{#hasEvidence}}
        <h3>Evidence{{#rule}}: {{rule}}{{/rule}}</h3>
        <table class="evidence">
          <thead><tr><th>at</th><th>check / signal</th><th>result</th><th>values</th></tr></thead>
          <tbody>
          {{#evidence}}<tr><td class="at">{{at}}</td><td>{{check}}</td><td>{{result}}</td><td>{{value}}</td></tr>{{/evidence}}
          </tbody>
        </table>
        {{/hasEvidence}}
        <h3>Timeline</h3>
        <table class="timeline">
          <thead><tr><th>at</th><th>kind</th><th>what happened</th></tr></thead>
          <tbody>
          {{#timeline}}<tr><td class="at">{{at}}</td><td>{{kind}}</td><td>{{message}}</td></tr>{{/timeline}}
          </tbody>
        </table>
        </section>

        """
}
