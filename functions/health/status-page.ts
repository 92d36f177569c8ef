import { html } from "hono/html";
import type { HtmlEscapedString } from "hono/utils/html";
import type { BreakerStats } from "../../shared/resilience/breaker/store.ts";
import { hourlyChart } from "./status-chart.ts";
import type { StatusReport, UsageRow } from "./status-data.ts";

/** The page reloads itself this often (a meta refresh: no script at all). */
export const REFRESH_SECONDS = 30;

type Html = HtmlEscapedString;

const time = (ms: number | null) => (ms === null ? "—" : new Date(ms).toISOString().slice(11, 19));
const percent = (rate: number) => `${(rate * 100).toFixed(rate > 0 && rate < 0.1 ? 1 : 0)} %`;
const count = (n: number | string) => Number(n).toLocaleString("en-US");

const STYLE = `
body{font:15px/1.4 system-ui,sans-serif;margin:0 auto;padding:12px;max-width:960px;color:#111}
h1{font-size:20px;margin:4px 0}h2{font-size:16px;margin:20px 0 6px}
.badge{display:inline-block;padding:2px 8px;border-radius:9px;color:#fff;font-weight:600}
.healthy,.closed,.ok{background:#15803d}.degraded,.half_open{background:#b45309}
.unhealthy,.open,.failed{background:#b91c1c}
.scroll{overflow-x:auto}table{border-collapse:collapse;width:100%;font-size:14px}
th,td{text-align:left;padding:4px 8px;border-bottom:1px solid #e5e5e5;white-space:nowrap}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}.muted{color:#666}
`;

const table = (id: string, head: Html, rows: Html[], empty: string) =>
  html`<div class="scroll">
    <table id="${id}">
      <thead>
        ${head}
      </thead>
      <tbody>
        ${
          rows.length
            ? rows
            : html`<tr>
                <td colspan="9" class="muted">${empty}</td>
              </tr>`
        }
      </tbody>
    </table>
  </div>` as Html;

function breakerRow(b: BreakerStats, now: number) {
  const nextProbe = b.state === "open" ? time(b.openUntil) : b.state === "half_open" ? "now" : "—";
  return html`<tr data-breaker="${b.name}" data-state="${b.state}">
    <td>${b.name}</td>
    <td><span class="badge ${b.state}">${b.state.replace("_", "-")}</span></td>
    <td class="n">${percent(b.failureRate)}</td>
    <td class="n">${b.failureCount}/${b.failureCount + b.successCount}</td>
    <td>
      ${b.openSince === null ? "—" : `${time(b.openSince)} (${Math.round((now - b.openSince) / 1000)} s)`}
    </td>
    <td>${nextProbe}</td>
  </tr>` as Html;
}

function usageTable(id: string, label: string, rows: UsageRow[]) {
  const head = html`<tr>
    <th>${label}</th>
    <th class="n">requests</th>
    <th class="n">tokens in</th>
    <th class="n">tokens out</th>
    <th class="n">cost (USD)</th>
    <th class="n">p50 ms</th>
    <th class="n">p95 ms</th>
    <th class="n">errors</th>
  </tr>` as Html;
  const body = rows.map(
    (r) =>
      html`<tr data-name="${r.name}" data-requests="${r.requests}">
        <td>${r.name}</td>
        <td class="n">${count(r.requests)}</td>
        <td class="n">${count(r.input_tokens)}</td>
        <td class="n">${count(r.output_tokens)}</td>
        <td class="n">${Number(r.cost_usd).toFixed(4)}</td>
        <td class="n">${Math.round(r.p50_ms)}</td>
        <td class="n">${Math.round(r.p95_ms)}</td>
        <td class="n">${percent(r.requests ? r.errors / r.requests : 0)}</td>
      </tr>` as Html,
  );
  return table(id, head, body, "No AI requests in the last 24 hours");
}

/** The whole page: server-rendered, no script, no external asset, one inline style (nonce). */
export function statusPage(report: StatusReport, nonce: string) {
  const now = Date.parse(report.generatedAt);
  const dependencies = Object.entries(report.dependencies).map(
    ([name, r]) =>
      html`<tr data-dependency="${name}">
        <td>${name}</td>
        <td>
          <span class="badge ${r.healthy ? "ok" : "failed"}">${r.healthy ? "up" : "down"}</span>
        </td>
        <td class="n">${r.latencyMs} ms</td>
        <td class="muted">${r.error ?? r.note ?? ""}</td>
      </tr>` as Html,
  );
  const webhooks = report.webhooks.map(
    (w) =>
      html`<tr
        data-provider="${w.provider}"
        data-received="${w.received}"
        data-applied="${w.applied}"
      >
        <td>${w.provider}</td>
        <td class="n">${count(w.received)}</td>
        <td class="n">${count(w.applied)}</td>
        <td class="n">${count(w.duplicates)}</td>
        <td class="n">${count(w.refused)}</td>
        <td class="n">${count(w.unavailable)}</td>
      </tr>` as Html,
  );
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width,initial-scale=1" />
        <meta http-equiv="refresh" content="${REFRESH_SECONDS}" />
        <meta name="robots" content="noindex" />
        <title>Breakwater status: ${report.status}</title>
        <style nonce="${nonce}">
          ${STYLE}
        </style>
      </head>
      <body>
        <h1>
          Breakwater <span id="overall" class="badge ${report.status}">${report.status}</span>
        </h1>
        <p class="muted">
          ${report.generatedAt} · state in ${report.state} · refreshes every ${REFRESH_SECONDS} s
        </p>
        <h2>Dependencies</h2>
        ${table(
          "dependencies",
          html`<tr>
            <th>dependency</th>
            <th>state</th>
            <th class="n">latency</th>
            <th></th>
          </tr>` as Html,
          dependencies,
          "",
        )}
        <h2>Circuit breakers</h2>
        ${table(
          "breakers",
          html`<tr>
            <th>breaker</th>
            <th>state</th>
            <th class="n">failure rate</th>
            <th class="n">failed</th>
            <th>open since</th>
            <th>next probe</th>
          </tr>` as Html,
          report.breakers.map((b) => breakerRow(b, now)),
          "No breaker has recorded a call yet",
        )}
        <h2>Webhooks, last 24 h</h2>
        ${table(
          "webhooks",
          html`<tr>
            <th>provider</th>
            <th class="n">received</th>
            <th class="n">applied</th>
            <th class="n">duplicates</th>
            <th class="n">refused signatures</th>
            <th class="n">503s</th>
          </tr>` as Html,
          webhooks,
          "",
        )}
        <h2>Requests and errors per hour</h2>
        ${hourlyChart(report.hours)}
        <h2>AI usage by model, last 24 h</h2>
        ${usageTable("ai-models", "model", report.ai.models)}
        <h2>AI usage by key, last 24 h</h2>
        ${usageTable("ai-keys", "key", report.ai.keys)}
      </body>
    </html>`;
}
