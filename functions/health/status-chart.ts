import { html } from "hono/html";
import type { HtmlEscapedString } from "hono/utils/html";

const WIDTH = 360;
const HEIGHT = 180;
const TOP = 12;
const BOTTOM = 22;
const LEFT = 24;

/** The largest of 1, 2, 5 × 10^n at or above `value`: a round top for the axis. */
function roundUp(value: number): number {
  if (value <= 1) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  return [1, 2, 5, 10].map((m) => m * power).find((top) => top >= value)!;
}

const hh = (hour: number) => new Date(hour).toISOString().slice(11, 13);

/**
 * Requests and errors per hour as an inline SVG drawn on the server: one bar per hour (errors
 * drawn over the requests they are part of), a labelled top of scale, an hour label every 6 hours.
 * Presentation attributes only, so the page's CSP needs no inline styles for it.
 */
export function hourlyChart(hours: { hour: number; requests: number; errors: number }[]) {
  const top = roundUp(Math.max(...hours.map((h) => h.requests), 1));
  const plot = HEIGHT - TOP - BOTTOM;
  const slot = (WIDTH - LEFT) / hours.length;
  const y = (value: number) => TOP + plot - (value / top) * plot;
  const bars: HtmlEscapedString[] = hours.map((h, i) => {
    const x = (LEFT + i * slot + 1).toFixed(1);
    const width = (slot - 2).toFixed(1);
    const label = `${hh(h.hour)}:00 UTC: ${h.requests} requests, ${h.errors} errors`;
    return html`<g
      class="hour"
      data-hour="${h.hour}"
      data-requests="${h.requests}"
      data-errors="${h.errors}"
      ><title>${label}</title
      ><rect
        x="${x}"
        y="${y(h.requests).toFixed(1)}"
        width="${width}"
        height="${(TOP + plot - y(h.requests)).toFixed(1)}"
        fill="#3b82f6"
      ></rect
      ><rect
        x="${x}"
        y="${y(h.errors).toFixed(1)}"
        width="${width}"
        height="${(TOP + plot - y(h.errors)).toFixed(1)}"
        fill="#dc2626"
      ></rect
      >${i % 6 === 0 ? html`<text x="${x}" y="${HEIGHT - 6}" font-size="10" fill="#555">${hh(h.hour)}h</text>` : ""}</g
    >` as HtmlEscapedString;
  });
  return html`<svg
    id="hourly-chart"
    viewBox="0 0 ${WIDTH} ${HEIGHT}"
    width="100%"
    role="img"
    aria-labelledby="chart-title"
  >
    <title id="chart-title">Requests (blue) and errors (red) per hour, last 24 hours, UTC</title>
    <line x1="${LEFT}" y1="${TOP}" x2="${WIDTH}" y2="${TOP}" stroke="#ddd"></line>
    <line x1="${LEFT}" y1="${TOP + plot}" x2="${WIDTH}" y2="${TOP + plot}" stroke="#999"></line>
    <text x="0" y="${TOP + 4}" font-size="10" fill="#555">${top}</text>
    <text x="0" y="${TOP + plot}" font-size="10" fill="#555">0</text>
    ${bars}
  </svg>`;
}
