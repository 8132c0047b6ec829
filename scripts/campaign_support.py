"""What scripts/kill-campaign and scripts/overload share: the loopback world, the policy they run a real
`rewind serve` with, the daemon process, and reading its state file.

Everything listens on 127.0.0.1 only."""
import json
import os
import signal
import socket
import sqlite3
import subprocess
import time
import urllib.error
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OPERATE_TOKEN = "campaign-operate-token"
EVENTS_TOKEN = "campaign-events-token"


def binary(env_name, default_name, explicit=None):
    path = explicit or os.environ.get(env_name) or os.path.join(ROOT, ".build", "debug", default_name)
    if not os.access(path, os.X_OK):
        raise SystemExit(f"{path} is not built: run `swift build` first, or set {env_name}")
    return path


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http(method, url, body=None, token=None, timeout=5):
    """(status, text); status 0 when nothing answered."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method)
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    if body is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode(errors="replace")
    except (urllib.error.URLError, OSError):
        return 0, ""


class World:
    """rewind-campaign-world: the emulators, the sandbox's services and the sinks, with counters."""

    def __init__(self, executable, directory, daemon_url=None, log=None):
        self.endpoints_path = os.path.join(directory, "endpoints.json")
        arguments = [executable, "serve", "--endpoints", self.endpoints_path]
        if daemon_url:
            arguments += ["--daemon", daemon_url, "--events-token", EVENTS_TOKEN]
        self.process = subprocess.Popen(arguments, stdout=log or subprocess.DEVNULL, stderr=log or subprocess.DEVNULL)
        self.executable = executable
        deadline = time.time() + 30
        while not os.path.exists(self.endpoints_path):
            if self.process.poll() is not None or time.time() > deadline:
                raise SystemExit("the campaign world did not start")
            time.sleep(0.05)
        with open(self.endpoints_path) as f:
            self.endpoints = json.load(f)
        self.control = self.endpoints["control"]

    def seed(self, state):
        subprocess.run([self.executable, "seed", "--state", state], check=True)

    def counters(self):
        status, text = http("GET", self.control + "/counters")
        if status != 200:
            raise RuntimeError("the campaign world did not answer /counters")
        return json.loads(text)

    def post(self, path):
        status, _ = http("POST", self.control + path, body={})
        if status != 200:
            raise RuntimeError(f"the campaign world refused {path} ({status})")

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()


def policy(world, port, canary=False, command_current=False, command_idempotent=False):
    """The policy of every campaign: the guide's rules with short intervals, five services on three kinds of
    platform, the three notification stand-ins, scoped tokens (operate for the campaign, events for the apps)."""
    e = world.endpoints
    services = e["services"]
    control = e["control"]
    script = os.path.join(ROOT, "scripts", "campaign-rollback-command")
    current = f'\n      current: [/usr/bin/curl, -sf, "{control}/command/current?service={{{{service}}}}"]' if command_current else ""
    idempotent = "\n      idempotent: true" if command_idempotent else ""
    return f"""# Written by the campaign scripts: a real daemon against rewind-campaign-world on loopback.
mode: enforce
state: state.db
server:
  listen: 127.0.0.1:{port}
  tokens:
    - {{ name: campaign, token: "${{CAMPAIGN_OPERATE_TOKEN}}", scopes: [read, events, operate] }}
    - {{ name: apps, token: "${{CAMPAIGN_EVENTS_TOKEN}}", scopes: [events] }}
bake: 1h
health:
  critical: {{ failures: 3, within: 2m }}
  non_critical: {{ failures: 5, within: 5m }}
  recovery: {{ successes: 2, within: 5m }}
  interval: 300ms
  timeout: 1s
  confirm_interval: 100ms
strategies:
  immediate: {{ timeout: 20s, freeze: 1s }}
  fast: {{ timeout: 20s }}
  gradual: {{ reduce_by: 50%, watch: 3s, watch_interval: 500ms, traffic_timeout: 5s }}
  canary: {{ stop_timeout: 5s, route_timeout: 10s, analysis: 30m }}
safety: {{ cooldown: 0s, max_automatic_rollbacks_per_hour: 1000 }}
verification:
  interval: 300ms
  timeout: 1s
  max_attempts: 3
  failure_threshold: 2
  performance: {{ duration: 2s }}
  business: {{ duration: 2s }}
notifications:
  console: false
  channels:
    slack-critical: {{ type: slack_webhook, url: "${{CAMPAIGN_SLACK_CRITICAL}}" }}
    slack-high: {{ type: slack_webhook, url: "${{CAMPAIGN_SLACK_HIGH}}" }}
    pagerduty: {{ type: pagerduty, routing_key: "${{CAMPAIGN_PAGERDUTY_KEY}}", url: "{e["sinks"]}/pagerduty" }}
    oncall-email: {{ type: email, host: 127.0.0.1, port: {e["smtp_port"]}, security: none, from: rewind@campaign.local, to: [oncall@campaign.local] }}
  routes:
    initiated: [slack-critical, pagerduty]
    completed: [slack-high, pagerduty]
    failed: [slack-critical, oncall-email, pagerduty]
    escalated: [slack-critical, oncall-email]
    would_roll_back: [slack-high]
  audiences:
    oncall: [pagerduty, oncall-email]
    management: [oncall-email]
    devops: [slack-high]
    security: [slack-critical]
services:
  frontend:
    checks:
      - {{ name: health, url: "{services["frontend"]}/health", severity: critical }}
{"    rollout: canary" if canary else ""}
    signals:
      - {{ measure: conversion_rate, pushed: conversion_rate, window: 2s, interval: 500ms, recovery: 1s, baseline: 20s }}
      - {{ measure: error_rate, pushed: error_rate, window: 2s, interval: 500ms, recovery: 1s, baseline: 20s }}
    provider:
      type: vercel
      token: ${{CAMPAIGN_VERCEL_TOKEN}}
      project: {e["vercel_project"]}
      api_url: {e["vercel"]}
      timeout: 5s
    traffic:
      type: cloudflare
      token: ${{CAMPAIGN_CLOUDFLARE_TOKEN}}
      account_id: {e["cloudflare_account"]}
      pool: {e["cloudflare_pool"]}
      stable_origin: stable
      new_origin: new
      api_url: {e["cloudflare"]}
      timeout: 5s
  backend:
    checks:
      - {{ name: health, url: "{services["backend"]}/health", severity: critical }}
{railway(e, "backend")}
  worker:
    checks:
      - {{ name: health, url: "{services["worker"]}/health", severity: non-critical }}
{railway(e, "worker")}
  api:
    checks:
      - {{ name: health, url: "{services["api"]}/health", severity: critical }}
    provider:
      type: command
      rollback: [/bin/false]
    fallback:
      type: http
      rollback:
        url: {e["platform"]}/v1/services/{{{{service}}}}/rollback
        body: {{ deployment: "{{{{target.id}}}}" }}
        expect: [202]
      current: {{ url: "{e["platform"]}/v1/services/{{{{service}}}}/current", field: id }}
      status:
        url: {e["platform"]}/v1/operations/{{{{operation.id}}}}
        field: status
        succeeded: [succeeded]
        failed: [failed]
  cmd:
    checks:
      - {{ name: health, url: "{services["cmd"]}/health", severity: critical }}
    provider:
      type: command
      rollback: [/bin/sh, {script}, "{control}", "{{{{service}}}}", "{{{{target.id}}}}"]{current}{idempotent}
      timeout: 10s
"""


def railway(e, service):
    return f"""    provider:
      type: railway
      token: ${{CAMPAIGN_RAILWAY_TOKEN}}
      project_id: {e["railway_project"]}
      environment_id: {e["railway_environment"]}
      service_id: {e["railway_services"][service]}
      api_url: {e["railway"]}
      timeout: 5s"""


def daemon_environment(world):
    e = world.endpoints
    env = dict(os.environ)
    env.update({
        "CAMPAIGN_OPERATE_TOKEN": OPERATE_TOKEN,
        "CAMPAIGN_EVENTS_TOKEN": EVENTS_TOKEN,
        "CAMPAIGN_SLACK_CRITICAL": e["sinks"] + "/slack/webhook/alerts-critical",
        "CAMPAIGN_SLACK_HIGH": e["sinks"] + "/slack/webhook/alerts-high",
        "CAMPAIGN_PAGERDUTY_KEY": "0123456789abcdef0123456789abcdef",
        "CAMPAIGN_VERCEL_TOKEN": e["tokens"]["vercel"],
        "CAMPAIGN_RAILWAY_TOKEN": e["tokens"]["railway"],
        "CAMPAIGN_CLOUDFLARE_TOKEN": e["tokens"]["cloudflare"],
    })
    return env


class Daemon:
    """`rewind serve` as a child process, killed and restarted at will."""

    def __init__(self, executable, directory, world, port):
        self.executable = executable
        self.directory = directory
        self.config = os.path.join(directory, "rewind.yaml")
        self.url = f"http://127.0.0.1:{port}"
        self.port = port
        self.environment = daemon_environment(world)
        self.log = open(os.path.join(directory, "daemon.log"), "ab")
        self.process = None

    def write_policy(self, text):
        with open(self.config, "w") as f:
            f.write(text)

    def start(self, ready_within=60):
        """Starts the daemon and returns once `/readyz` answers 200 (it waits for a killed one's lease)."""
        self.process = subprocess.Popen(
            [self.executable, "serve", "--config", self.config], cwd=self.directory, env=self.environment,
            stdout=self.log, stderr=self.log)
        deadline = time.time() + ready_within
        while time.time() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"rewind serve exited with {self.process.returncode}; see {self.log.name}")
            if http("GET", self.url + "/readyz", timeout=1)[0] == 200:
                return
            time.sleep(0.05)
        raise RuntimeError(f"rewind serve was not ready within {ready_within} s; see {self.log.name}")

    def kill(self):
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def rss_kib(self):
        try:
            with open(f"/proc/{self.process.pid}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        return int(line.split()[1])
        except OSError:
            pass
        return 0

    def api(self, method, path, body=None, token=OPERATE_TOKEN):
        return http(method, self.url + path, body=body, token=token)


def open_state(path):
    """The state file, read-only: the daemon may be writing it, or dead."""
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5)
    connection.row_factory = sqlite3.Row
    return connection
