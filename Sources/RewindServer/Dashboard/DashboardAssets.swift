/// The dashboard's script and style sheet, served as `/dashboard.js` and `/dashboard.css`. Hand-written,
/// no build step, no dependency.
///
/// The script never builds markup from data: it sets text with `textContent`, and it inserts only the
/// fragments the server rendered from its own templates (values escaped there), parsed with `DOMParser`
/// (an inert document: nothing in it runs) — and the Content-Security-Policy forbids inline script.
enum DashboardAssets {
    static let script = #"""
        'use strict';
        // Rewind's dashboard: loads the server's fragments with the operator's token, follows the live stream,
        // and sends the operator's actions to the API after a confirmation.
        (() => {
          const TOKEN_KEY = 'rewind.token';
          const $ = (id) => document.getElementById(id);
          let token = sessionStorage.getItem(TOKEN_KEY) || '';
          let shownIncident = null;
          let stream = null;
          let overviewTimer = null;

          function authorized(extra) {
            const headers = Object.assign({}, extra || {});
            if (token) headers.Authorization = 'Bearer ' + token;
            return headers;
          }

          function say(text, bad) {
            const message = $('message');
            message.textContent = text;
            message.className = bad ? 'bad' : 'ok';
          }

          async function problemText(response) {
            let text = '';
            try { text = (await response.json()).detail || ''; } catch (error) { /* not problem details */ }
            if (response.status === 401) return 'This daemon needs an API token with the read scope: type it above. ' + text;
            return text || ('HTTP ' + response.status);
          }

          async function load(path, target) {
            const response = await fetch(path, { headers: authorized(), cache: 'no-store' });
            if (!response.ok) throw new Error(await problemText(response));
            const parsed = new DOMParser().parseFromString(await response.text(), 'text/html');
            target.replaceChildren(...parsed.body.childNodes);
          }

          async function refreshOverview() {
            try {
              await load('/dashboard/overview', $('overview'));
            } catch (error) {
              say(error.message, true);
            }
          }

          async function refreshIncident() {
            if (shownIncident === null) return;
            try {
              await load('/dashboard/incidents/' + shownIncident, $('incident'));
            } catch (error) {
              say(error.message, true);
            }
          }

          // Many events arrive together (a step starts, the provider is called…): one reload for them.
          function soon(incident) {
            if (incident !== undefined && incident !== null && incident === shownIncident) refreshIncident();
            if (overviewTimer !== null) return;
            overviewTimer = setTimeout(() => { overviewTimer = null; refreshOverview(); }, 200);
          }

          function setLive(live, why) {
            const badge = $('live');
            badge.textContent = live ? 'live' : 'offline';
            badge.className = 'badge ' + (live ? 'ok' : 'muted');
            badge.title = why || '';
          }

          function handle(block) {
            let name = 'message';
            let data = '';
            for (const line of block.split('\n')) {
              if (line.startsWith(':')) { if (line.includes('heartbeat')) soon(); continue; }
              if (line.startsWith('event:')) name = line.slice(6).trim();
              if (line.startsWith('data:')) data += line.slice(5).trim();
            }
            if (name !== 'engine' || !data) return;
            try { soon(JSON.parse(data).incident); } catch (error) { soon(); }
          }

          // The live stream: fetch() and a reader rather than EventSource, which cannot send the token.
          async function follow(controller) {
            while (!controller.signal.aborted) {
              try {
                const response = await fetch('/api/v1/stream', { headers: authorized(), cache: 'no-store', signal: controller.signal });
                if (response.status === 401 || response.status === 403) {
                  // No use asking again with the same token: wait for the operator to type another.
                  setLive(false, await problemText(response));
                  return;
                }
                if (!response.ok) {
                  setLive(false, await problemText(response));
                } else {
                  setLive(true);
                  refreshOverview();
                  refreshIncident();
                  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
                  let buffer = '';
                  for (;;) {
                    const { value, done } = await reader.read();
                    if (done) break;
                    buffer += value.replace(/\r\n?/g, '\n');
                    let end;
                    while ((end = buffer.indexOf('\n\n')) >= 0) {
                      handle(buffer.slice(0, end));
                      buffer = buffer.slice(end + 2);
                    }
                  }
                }
              } catch (error) {
                if (controller.signal.aborted) return;
              }
              setLive(false);
              await new Promise((resolve) => setTimeout(resolve, 3000));
            }
          }

          function start() {
            if (stream) stream.abort();
            stream = new AbortController();
            follow(stream);
            refreshOverview();
            // A link from a notification (server.public_url/#incident-7) opens that incident's timeline.
            const linked = /^#incident-([0-9]{1,18})$/.exec(window.location.hash);
            if (linked) showIncident(Number(linked[1]));
          }

          // The confirmation every action goes through, with the fields it needs.
          function confirmAction(title, text, fields) {
            const dialog = $('confirm');
            $('confirm-title').textContent = title;
            $('confirm-text').textContent = text;
            for (const label of dialog.querySelectorAll('.field')) {
              const name = label.dataset.field;
              const input = label.querySelector('input');
              label.hidden = !(name in fields);
              input.required = fields[name] === 'required';
              if (name === 'to' || name === 'reason') input.value = '';
            }
            dialog.returnValue = '';
            dialog.showModal();
            return new Promise((resolve) => {
              dialog.addEventListener('close', () => {
                if (dialog.returnValue !== 'ok') { resolve(null); return; }
                const values = {};
                for (const name of Object.keys(fields)) values[name] = $('field-' + name).value.trim();
                resolve(values);
              }, { once: true });
            });
          }

          async function send(method, path, body, done) {
            // A standby replica answers a change with a 307 to the leader, which a browser cannot follow across
            // origins: Rewind-Redirect: never asks it for a 503 whose message names the leader and its address.
            const headers = authorized(body ? { 'Content-Type': 'application/json' } : {});
            headers['Rewind-Redirect'] = 'never';
            const init = { method: method, headers: headers, redirect: 'error' };
            if (body) init.body = JSON.stringify(body);
            try {
              const response = await fetch(path, init);
              if (!response.ok) {
                say(response.status === 403 ? 'Refused: ' + (await problemText(response)) + ' (actions need the operate scope)' : await problemText(response), true);
                return;
              }
              const answer = await response.json();
              say(done(answer), false);
            } catch (error) {
              say(error.message, true);
            }
            refreshOverview();
            refreshIncident();
          }

          function showIncident(id) {
            shownIncident = id;
            refreshIncident();
          }

          const actions = {
            show: (button) => showIncident(Number(button.dataset.incident)),
            rollback: async (button) => {
              const service = button.dataset.service;
              const values = await confirmAction('Roll back ' + service + '?',
                'Rewind rolls ' + service + ' back on its platform and verifies it, as for an automatic rollback.',
                { to: 'optional', reason: 'required' });
              if (!values) return;
              const body = { service: service, reason: values.reason };
              if (values.to) body.to = values.to;
              await send('POST', '/api/v1/rollbacks', body, (answer) => {
                if (answer.incident) showIncident(answer.incident);
                return 'Rollback of ' + service + ' started: incident #' + answer.incident;
              });
            },
            freeze: async () => {
              const values = await confirmAction('Freeze deployments?',
                'Deployments recorded while frozen are flagged, and people are told.', { duration: 'required', reason: 'required' });
              if (!values) return;
              await send('POST', '/api/v1/freeze', { duration: values.duration, reason: values.reason },
                (answer) => 'Deployments frozen until ' + answer.freeze.until);
            },
            unfreeze: async () => {
              const values = await confirmAction('Lift the deployment freeze?', 'Deployments are no longer flagged.', {});
              if (!values) return;
              await send('DELETE', '/api/v1/freeze', null, () => 'Deployments unfrozen');
            },
            pause: async (button) => {
              const service = button.dataset.service;
              const what = service ? 'automation of ' + service : 'automation of every service';
              const values = await confirmAction('Pause ' + what + '?',
                'Rewind keeps watching and records what it would do, but rolls nothing back until resumed.',
                { reason: 'required' });
              if (!values) return;
              const body = { paused: true, reason: values.reason };
              if (service) body.service = service;
              await send('POST', '/api/v1/automation', body, () => 'Paused ' + what);
            },
            resume: async (button) => {
              const service = button.dataset.service;
              const what = service ? 'automation of ' + service : 'automation of every service';
              const values = await confirmAction('Resume ' + what + '?', 'Rewind acts on what it decides again.', {});
              if (!values) return;
              const body = { paused: false };
              if (service) body.service = service;
              await send('POST', '/api/v1/automation', body, () => 'Resumed ' + what);
            },
            ack: async (button) => {
              const id = Number(button.dataset.incident);
              const values = await confirmAction('Acknowledge incident #' + id + '?',
                'Its escalation stops: someone is on it.', { by: 'required' });
              if (!values) return;
              await send('POST', '/api/v1/incidents/' + id + '/ack', { by: values.by },
                () => 'Incident #' + id + ' acknowledged');
            },
          };

          document.addEventListener('DOMContentLoaded', () => {
            document.addEventListener('click', (event) => {
              const button = event.target.closest('button[data-action]');
              if (!button || !(button.dataset.action in actions)) return;
              event.preventDefault();
              actions[button.dataset.action](button);
            });
            $('token-form').addEventListener('submit', (event) => {
              event.preventDefault();
              token = $('token').value.trim();
              $('token').value = '';
              if (token) sessionStorage.setItem(TOKEN_KEY, token); else sessionStorage.removeItem(TOKEN_KEY);
              say(token ? 'Token in use for this tab.' : 'No token.', false);
              start();
            });
            $('token-forget').addEventListener('click', () => {
              token = '';
              sessionStorage.removeItem(TOKEN_KEY);
              say('Token forgotten.', false);
              start();
            });
            start();
          });
        })();

        """#

    static let style = """
        :root { color-scheme: light dark; --ok: #1a7f37; --warn: #9a6700; --bad: #cf222e; --muted: #6e7781; }
        body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 0 auto; padding: 0 16px 32px;
          max-width: 1200px; }
        header { display: flex; flex-wrap: wrap; gap: 12px; align-items: center; border-bottom: 1px solid #d0d7de;
          padding: 8px 0; }
        header h1 { font-size: 20px; margin: 0; }
        header form { margin-left: auto; }
        h2 { font-size: 16px; margin: 20px 0 8px; }
        h3 { font-size: 14px; margin: 4px 0; }
        table { border-collapse: collapse; width: 100%; margin: 4px 0 16px; }
        caption { text-align: left; padding: 6px 0; }
        th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid #d0d7de; vertical-align: middle; }
        th { font-weight: 600; color: var(--muted); font-size: 12px; }
        code { font: 12px ui-monospace, SFMono-Regular, Menlo, monospace; }
        .muted { color: var(--muted); }
        td.at { white-space: nowrap; }
        .badge { display: inline-block; border-radius: 10px; padding: 0 8px; font-size: 12px; font-weight: 600;
          color: #fff; background: var(--muted); }
        .badge.ok { background: var(--ok); } .badge.warn { background: var(--warn); } .badge.bad { background: var(--bad); }
        #message.bad { color: var(--bad); } #message.ok { color: var(--ok); }
        .freeze { padding: 8px 0; }
        .incident { border: 1px solid #d0d7de; border-left: 4px solid var(--warn); border-radius: 6px; padding: 8px 12px;
          margin: 8px 0; }
        .incident[data-status=completed] { border-left-color: var(--ok); }
        .incident[data-status=failed], .incident[data-status=escalated] { border-left-color: var(--bad); }
        .detail { border-top: 2px solid #d0d7de; margin-top: 16px; }
        svg.chart polyline { fill: none; stroke: #0969da; stroke-width: 1.5; }
        svg.chart circle.last { fill: #0969da; }
        svg.chart circle.bad { fill: var(--bad); }
        svg.chart { background: rgba(127, 127, 127, 0.08); border-radius: 3px; }
        button { font: inherit; padding: 2px 10px; cursor: pointer; }
        button.danger { background: var(--bad); color: #fff; border: 1px solid var(--bad); border-radius: 4px; }
        [hidden] { display: none !important; }
        dialog label { display: block; margin: 8px 0; }
        dialog input { display: block; width: 24em; }
        .buttons { display: flex; gap: 8px; }

        """
}
