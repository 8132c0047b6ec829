import Foundation

/// What `rewind init` prints: a complete, commented `rewind.yaml` with the rollback guide's three
/// services, its notification channels and routing, and every default written out. It needs the
/// channels' credentials (``variables``) from the environment, and validates without them with
/// `rewind config validate --skip-secrets`; a test keeps its numbers equal to RewindCore's ``Defaults``.
public enum StarterConfig {
    /// The environment variables the starter reads, each with what it is for.
    public static let variables: [(name: String, purpose: String)] = [
        ("SLACK_BOT_TOKEN", "the Slack bot token that posts to #alerts-critical and #alerts-high"),
        ("PAGERDUTY_ROUTING_KEY", "the PagerDuty Events API v2 integration key (P1 pages)"),
        ("SMTP_USERNAME", "the SMTP login of the on-call, devops and management email"),
        ("SMTP_PASSWORD", "the SMTP password of that login"),
    ]

    /// The starter with `server.token` read from `tokenFile` (`${file:…}`; a relative path is
    /// relative to the configuration file), for `rewind init`, which writes that file.
    public static func yaml(tokenFile: String) -> String {
        yaml.replacingOccurrences(
            of: tokenLines,
            with: """
                  # Every API call but /healthz, /readyz and /metrics needs this bearer token. `rewind init`
                  # wrote it (32 random bytes, hex, mode 0600); the CLI reads it through this file too. Scoped
                  # tokens (read, events, operate) for CI and applications: server.tokens, see the README.
                  token: ${file:\(tokenFile)}

                """)
    }

    static let tokenLines = """
          # Every API call but /healthz, /readyz and /metrics needs a bearer token once one is set (and
          # listening beyond loopback needs one). Keep it out of this file: put it in an environment
          # variable or a file, then uncomment one of these lines. `rewind init` writes such a file.
          # token: ${REWIND_API_TOKEN}
          # token: ${file:/run/secrets/rewind-api-token}

        """

    public static let yaml: String = """
        # yaml-language-server: $schema=rewind.schema.json
        # rewind.yaml: what Rewind watches, when it rolls back, and how.
        # Editors check it as you type with: rewind config schema > rewind.schema.json (beside this file)
        # Check it with:   rewind config validate rewind.yaml
        #   (in CI, without the secrets: rewind config validate --skip-secrets rewind.yaml)
        # It reads SLACK_BOT_TOKEN, PAGERDUTY_ROUTING_KEY, SMTP_USERNAME and SMTP_PASSWORD (see notifications).
        # Run it with:     rewind serve --config rewind.yaml
        #
        # Durations are written 30s, 2m, 1h, 1h30m or 250ms. Relative paths are relative to this file.
        # Any text value may read ${NAME} (an environment variable) or ${file:/path/to/file}. Values of
        # credential keys (tokens, passwords, keys, webhook URLs, headers, env:), of variables named like
        # one (…TOKEN, …PASSWORD, …SECRET, …API_KEY) and URLs with credentials are secrets: never printed,
        # redacted from logs, output and notifications. Mark any other one ${secret:NAME}.

        # enforce: decide, roll back, verify, notify.
        # observe: decide and record everything, act on nothing ("would roll back"). Good for onboarding.
        mode: enforce

        # Where Rewind keeps deployments, incidents and its journal (SQLite, one file).
        state: rewind.db

        server:
          listen: 127.0.0.1:8786      # the API, dashboard, webhooks and /metrics
          # Every API call but /healthz, /readyz and /metrics needs a bearer token once one is set (and
          # listening beyond loopback needs one). Keep it out of this file: put it in an environment
          # variable or a file, then uncomment one of these lines. `rewind init` writes such a file.
          # token: ${REWIND_API_TOKEN}
          # token: ${file:/run/secrets/rewind-api-token}

        # A deployment becomes known good after running this long with no trigger firing.
        # Rewind rolls back to the newest known-good deployment, never blindly to "the previous one".
        bake: 1h

        health:
          # the guide: 3 consecutive failures within 2 minutes; failing for at least 2s, so that an instance
          # draining in a rolling restart (a second or two of 503) is not an outage
          critical:     { failures: 3, within: 2m, min_duration: 2s }
          non_critical: { failures: 5, within: 5m, min_duration: 2s }    # the guide: 5 within 5 minutes
          recovery:     { successes: 2, within: 5m }   # the guide: 2 successful checks within 5 minutes
          interval: 10s              # how often each check runs while it passes (a check may override)
          timeout: 5s                # a check slower than this counts as a failure
          confirm_interval: 100ms    # after a failure, look again this soon to confirm it
          # A deployment is most likely to be bad in its first minutes: while the live one is suspect and
          # went live less than suspect_window ago, checks run every suspect_interval (4 requests a second
          # per check for 15 minutes per deployment; a check may override either, 0s turns it off)
          suspect_interval: 250ms
          suspect_window: 15m

        strategies:
          # Critical failures: roll back every suspect service, 30 seconds each, then freeze deployments 1 hour.
          # All steps of one immediate incident run under one deadline: by default the longest chain of
          # step timeouts (frontend → backend → worker); `deadline: 90s` would bound it tighter.
          immediate: { timeout: 30s, freeze: 1h }
          # Non-critical failures: roll back the affected service within 2 minutes.
          fast:      { timeout: 2m }
          # Business drops (needs traffic: on the service): cut the new version's traffic by 50 %, watch
          # 10 minutes, and roll back if nothing improves. Without traffic control: fast.
          gradual:   { reduce_by: 50%, watch: 10m, traffic_timeout: 1m }
          # Services with `rollout: canary`: stop the canary (1 minute), route traffic to stable (2 minutes),
          # keep the canary's data; analyzing it is due within 30 minutes, documenting the learnings is required.
          canary:    { stop_timeout: 1m, route_timeout: 2m, analysis: 30m }

        # After a rollback: check health every 30 seconds with a 10-second timeout, at most 3 attempts;
        # 2 consecutive failures mean the rollback did not fix it, and Rewind escalates (it never loops).
        verification:
          interval: 30s
          timeout: 10s
          max_attempts: 3
          failure_threshold: 2
          # Then, for a service with metric signals, the guide's validation phases:
          performance: { duration: 5m }   # P95/P99 under their limits, error rate < 1 %, throughput > 90 % of baseline,
                                          # resources < 80 %; P95 improved > 20 %, error rate halved
          business: { duration: 15m }     # satisfaction > 90 %, conversion > 95 % of baseline, error rate halved

        # Where metric signals and alerts come from. Uncomment what you have.
        # monitoring:
        #   prometheus: { url: http://127.0.0.1:9090, timeout: 10s }
        #   failure_after: 2m                    # a source failing this long → a "monitoring failure" notice
        #   alertmanager:                        # Alertmanager's webhook_config: url http://HOST:8786/hooks/alertmanager
        #     token: ${REWIND_ALERT_TOKEN}       # the bearer token it sends (http_config.authorization)
        #     service_label: service             # the alert label that names the service
        #     category_label: category           # performance | throughput | business | infrastructure | security
        #     severity_label: severity

        safety:
          cooldown: 15m                          # a second automatic rollback within 15 minutes escalates instead
          max_automatic_rollbacks_per_hour: 3    # at most 3 automatic rollbacks per service per hour

        # What is kept: closed incidents 90 days after closing, the 50 newest deployments per service (and
        # the live one with its rollback targets); the daemon prunes every hour.
        retention: { closed_incidents: 2160h, deployments_per_service: 50, interval: 1h }

        # Transient platform errors are retried 3 times, with jittered backoff from 500ms up to 5s.
        retry: { attempts: 3, base_delay: 500ms, max_delay: 5s }

        notifications:
          console: true                          # print every notification on standard output
          # file: rewind-notifications.jsonl     # also append them as JSON lines to this file
          timeout: 10s                           # one delivery attempt may take this long
          retry: { attempts: 5, base_delay: 1s, max_delay: 1m }   # then it is reported as failed
          #
          # The guide's channels. Replace the example addresses, and give Rewind the variables they
          # name before `rewind serve` (credentials are never written in this file; `${file:/path}`
          # reads one from a file instead). `rewind config validate --skip-secrets` checks the rest
          # without them, e.g. in CI; without that flag it names every variable that is not set.
          channels:
            slack-critical: { type: slack_chat, token: "${SLACK_BOT_TOKEN}", channel: "#alerts-critical" }
            slack-high:     { type: slack_chat, token: "${SLACK_BOT_TOKEN}", channel: "#alerts-high" }
            pagerduty:      { type: pagerduty, routing_key: "${PAGERDUTY_ROUTING_KEY}" }   # P1 for critical
            oncall-email:
              type: email
              host: smtp.example.com
              security: starttls                 # port 587; tls uses 465
              username: "${SMTP_USERNAME}"
              password: "${SMTP_PASSWORD}"
              from: rewind@example.com
              to: [oncall@example.com]
            devops-email:
              type: email
              host: smtp.example.com
              username: "${SMTP_USERNAME}"
              password: "${SMTP_PASSWORD}"
              from: rewind@example.com
              to: [devops@example.com]
            management-email:
              type: email
              host: smtp.example.com
              username: "${SMTP_USERNAME}"
              password: "${SMTP_PASSWORD}"
              from: rewind@example.com
              to: [management@example.com]
            # Other types: slack_webhook (url), teams (url), opsgenie (api_key), webhook (url, secret).
            # Any channel may replace a message with a Mustache template: templates: { failed: "…" }.
          #
          # Who hears what: a notice goes to the channels of every rule it matches (a condition left
          # out matches anything); a notice no rule matches goes to every channel.
          routes:
            # An immediate rollback (a critical failure) pages on-call: #alerts-critical, on-call email, PagerDuty P1.
            - { when: { event: initiated, strategy: immediate }, to: [console, slack-critical, oncall-email, pagerduty] }
            # A fast, gradual or canary rollback tells devops at high priority.
            - { when: { event: initiated, strategy: fast },    to: [console, slack-high, devops-email] }
            - { when: { event: initiated, strategy: gradual }, to: [console, slack-high, devops-email] }
            - { when: { event: initiated, strategy: canary },  to: [console, slack-high, devops-email] }
            # Completed: #alerts-high and the devops email (PagerDuty hears it too, to resolve its incident).
            - { when: { event: completed }, to: [console, slack-high, devops-email, pagerduty] }
            # Failed, or nothing to roll back: the critical channels and PagerDuty.
            - { when: { event: failed },    to: [console, slack-critical, oncall-email, pagerduty] }
            - { when: { event: escalated }, to: [console, slack-critical, oncall-email, pagerduty] }
            # Observe mode pages nobody.
            - { when: { event: would_roll_back }, to: [console, slack-high] }
            # Early warnings (a suspect deployment's signal left its usual range; nothing is rolled back) go only
            # to the channels named here.
            - { when: { event: early_warning }, to: [console, slack-high] }
          #
          # Who each escalation below reaches.
          audiences:
            oncall:     [pagerduty, oncall-email]
            management: [management-email]
            devops:     [devops-email, slack-high]
            product:    [slack-high]
            security:   [slack-critical, oncall-email]

        escalation:
          # Immediate (rollback failed, security breach, critical service down): on-call now, management in 5 minutes.
          immediate: { oncall: 0s, management: 5m }
          # Delayed (slow rollback, performance still bad, high business impact): devops in 15, product in 30 minutes.
          delayed:   { devops: 15m, product: 30m }
          post_mortem_within: 24h                # a post-mortem is scheduled within 24 hours
          slow_rollback_after: 5m                # delayed pages (from detection) never before this; only a rollback still rolling back is paged

        # Rewind learns deployments from each provider's listing (incrementally where the API allows:
        # Vercel `since`, Railway cursors, Kubernetes resourceVersion) and from POST /api/v1/deployments.
        tracking:
          interval: 60s

        # The watched services, in the guide's layout: frontend on Vercel calls backend on Railway,
        # which hands work to a worker on Railway. A service is rolled back before the services it
        # depends on, so that no live version calls an API its dependency no longer has.
        #
        # Commands run with a minimal environment (PATH, HOME, USER, LANG, LC_*, TZ, TMPDIR), never all of
        # Rewind's: a CLI finds the login it keeps under HOME (`vercel login`, `railway login`), and a token
        # is passed by name with env:, e.g. env: { VERCEL_TOKEN: "${VERCEL_TOKEN}" } (never as an argument:
        # arguments show in `ps`). Commands are argument lists, never shell lines. Placeholders: {{service}},
        # {{target.id}}, {{target.version}}, {{current.id}}, {{incident.id}}.
        services:
          frontend:
            depends_on: [backend]
            rollback_timeout: 2m     # the guide: Vercel rollback timeout 2 minutes
            checks:
              - name: health
                url: https://frontend.example.com/api/health
                severity: critical
                expect_status: 200-299
            # Metric triggers. `class` picks the guide's latency limits (frontend P95 2s / P99 5s).
            class: frontend
            signals:
              - { measure: latency_p95, probe: health }   # Rewind's own probe latencies, 5-minute window
              # With Prometheus (monitoring.prometheus above):
              # - measure: latency_p99
              #   prometheus: 'histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket{service="{{service}}"}[5m])))'
              # - measure: error_rate                     # up > 5 points over its baseline
              #   prometheus: 'sum(rate(http_requests_total{service="{{service}}",code=~"5.."}[5m])) / sum(rate(http_requests_total{service="{{service}}"}[5m]))'
              # Business numbers your application pushes to POST /api/v1/events:
              # - { measure: conversion_rate, pushed: conversion_rate }   # down > 15 % from its 1h baseline
            provider:
              type: command
              rollback: [vercel, rollback, "{{target.id}}", --yes]
              # env: { VERCEL_TOKEN: "${VERCEL_TOKEN}" }   # unless `vercel login` was run as Rewind's user
              # current: [...]       # optional: a command that prints the live deployment id
            fallback:                # if the rollback fails: promote the known-good deployment instead
              type: command
              rollback: [vercel, promote, "{{target.id}}", --yes]
            # Or Vercel's API directly: provider: { type: vercel, token: ${VERCEL_TOKEN}, project: frontend }
            # Traffic control (gradual and canary strategies): Cloudflare weights in front of two origins.
            # traffic:
            #   type: cloudflare
            #   token: ${CLOUDFLARE_API_TOKEN}
            #   account_id: 0123abcd
            #   pool: 9f8e7d
            #   stable_origin: stable
            #   new_origin: canary
            # rollout: canary          # new deployments run as canaries beside stable (needs traffic:)
            # The guide's "disable all features" kill switch, turned off with every rollback of this service:
            # flags:
            #   type: unleash
            #   url: https://unleash.example.com
            #   token: ${UNLEASH_TOKEN}
            #   environment: production
            #   disable: [all_features, gradual_rollout, a_b_testing]

          backend:
            depends_on: [worker]
            rollback_timeout: 3m     # the guide: Railway rollback timeout 3 minutes
            checks:
              - name: health
                url: https://api.example.com/health
                severity: critical
            class: backend           # P95 1s / P99 3s
            signals:
              - { measure: latency_p95, probe: health }
            provider:
              type: command
              rollback: [railway, rollback, --service, backend]
            # The database: a down-migration run with the rollback (after the app unless before_app: true);
            # `irreversible: true` marks a migration with no down step (people restore from a backup).
            # migration:
            #   rollback: [./bin/migrate, down, --to, "{{target.version}}"]
            #   env: { DATABASE_URL: "${DATABASE_URL}" }

          worker:
            rollback_timeout: 3m     # the guide: Railway rollback timeout 3 minutes
            checks:
              - name: health
                url: https://worker.example.com/health
                severity: non-critical   # a degraded worker is not an outage: the fast strategy applies
            class: worker
            # signals:
            #   - { measure: queue_backlog, command: [redis-cli, llen, task_queue] }   # more than 1000 items
            provider:
              type: command
              rollback: [railway, rollback, --service, worker]

        """
}
