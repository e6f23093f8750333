// Small inline-SVG line charts for report.html: axes with "nice" ticks, grid, legend, one path per
// series (NaN points break the line), and markers with <title> tooltips. Produces strings only;
// depends on nothing.

/** One line of a chart. */
export interface Series {
  name: string;
  color: string;
  points: readonly (readonly [number, number])[];
  /** Dashed stroke (used for reference lines such as the ROC diagonal). */
  dashed?: boolean;
  /** Draw a marker at each point (default true). */
  markers?: boolean;
}

/** A chart: its title, axis labels and optional fixed domains. */
export interface ChartSpec {
  title: string;
  xLabel: string;
  yLabel: string;
  series: readonly Series[];
  xDomain?: [number, number];
  yDomain?: [number, number];
  /** Only integer ticks on x (epochs). */
  integerX?: boolean;
  width?: number;
  height?: number;
}

/** Escapes text for HTML and SVG content and attribute values. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Formats a number for display: "nan", "inf", "-inf", integers as is, else 4 decimals or exponent. */
export function formatNumber(v: number, digits = 4): string {
  if (Number.isNaN(v)) return "nan";
  if (v === Number.POSITIVE_INFINITY) return "inf";
  if (v === Number.NEGATIVE_INFINITY) return "-inf";
  if (Number.isInteger(v) && Math.abs(v) < 1e15) return String(v);
  const a = Math.abs(v);
  if (a >= 1e6 || a < 10 ** -digits) return v.toExponential(digits - 1);
  return v.toFixed(digits);
}

/** Tick values covering [lo, hi] with a 1-2-5 step, about `count` of them. */
export function niceTicks(lo: number, hi: number, count = 5, integer = false): number[] {
  const span = hi - lo;
  if (!(span > 0)) return [lo];
  const raw = span / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  let step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  if (integer) step = Math.max(1, Math.round(step));
  const out: number[] = [];
  for (let t = Math.ceil(lo / step - 1e-9) * step; t <= hi + step * 1e-9; t += step) {
    out.push(Math.abs(t) < step * 1e-9 ? 0 : Number(t.toPrecision(12)));
  }
  return out;
}

/** A tick label with as many decimals as the tick step needs (0.2, not 0.200). */
function tickLabel(t: number, ticks: number[]): string {
  const step = ticks.length > 1 ? Math.abs(ticks[1]! - ticks[0]!) : Math.abs(t) || 1;
  const decimals = Math.max(0, Math.min(8, -Math.floor(Math.log10(step) + 1e-9)));
  return t.toFixed(decimals);
}

function domainOf(values: number[], fallback: [number, number]): [number, number] {
  const finite = values.filter(Number.isFinite);
  if (finite.length === 0) return fallback;
  let lo = Math.min(...finite);
  let hi = Math.max(...finite);
  if (lo === hi) {
    const pad = lo === 0 ? 1 : Math.abs(lo) * 0.1;
    lo -= pad;
    hi += pad;
  }
  return [lo, hi];
}

/** Renders a line chart as an `<svg>` element string. */
export function lineChart(spec: ChartSpec): string {
  const width = spec.width ?? 520;
  const height = spec.height ?? 320;
  const m = { left: 64, right: 16, top: 52, bottom: 48 };
  const pw = width - m.left - m.right;
  const ph = height - m.top - m.bottom;
  const xs = spec.series.flatMap((s) => s.points.map((p) => p[0]));
  const ys = spec.series.flatMap((s) => s.points.map((p) => p[1]));
  const [x0, x1] = spec.xDomain ?? domainOf(xs, [0, 1]);
  let [y0, y1] = spec.yDomain ?? domainOf(ys, [0, 1]);
  if (spec.yDomain === undefined) {
    const pad = (y1 - y0) * 0.05;
    [y0, y1] = [y0 - pad, y1 + pad];
  }
  const sx = (x: number) => m.left + ((x - x0) / (x1 - x0)) * pw;
  const sy = (y: number) => m.top + ph - ((y - y0) / (y1 - y0)) * ph;
  const r = (v: number) => v.toFixed(1);
  const parts: string[] = [];
  parts.push(
    `<svg class="chart" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="${escapeHtml(spec.title)}">`,
  );
  parts.push(
    `<text class="chart-title" x="${width / 2}" y="20" text-anchor="middle">${escapeHtml(spec.title)}</text>`,
  );
  const yTicks = niceTicks(y0, y1);
  for (const t of yTicks) {
    if (t < y0 || t > y1) continue;
    parts.push(
      `<line class="grid" x1="${m.left}" x2="${m.left + pw}" y1="${r(sy(t))}" y2="${r(sy(t))}"/>`,
    );
    parts.push(
      `<text class="tick" x="${m.left - 6}" y="${r(sy(t) + 4)}" text-anchor="end">${tickLabel(t, yTicks)}</text>`,
    );
  }
  const xTicks = niceTicks(x0, x1, 6, spec.integerX);
  for (const t of xTicks) {
    if (t < x0 || t > x1) continue;
    parts.push(
      `<line class="grid" x1="${r(sx(t))}" x2="${r(sx(t))}" y1="${m.top}" y2="${m.top + ph}"/>`,
    );
    parts.push(
      `<text class="tick" x="${r(sx(t))}" y="${m.top + ph + 16}" text-anchor="middle">${tickLabel(t, xTicks)}</text>`,
    );
  }
  parts.push(`<rect class="frame" x="${m.left}" y="${m.top}" width="${pw}" height="${ph}"/>`);
  parts.push(
    `<text class="axis-label" x="${m.left + pw / 2}" y="${height - 8}" text-anchor="middle">${escapeHtml(spec.xLabel)}</text>`,
  );
  parts.push(
    `<text class="axis-label" transform="translate(14 ${m.top + ph / 2}) rotate(-90)" text-anchor="middle">${escapeHtml(spec.yLabel)}</text>`,
  );
  let legendX = m.left;
  spec.series.forEach((s) => {
    let d = "";
    let pen = false;
    for (const [x, y] of s.points) {
      if (!Number.isFinite(x) || !Number.isFinite(y)) {
        pen = false;
        continue;
      }
      d += `${pen ? "L" : "M"}${r(sx(x))} ${r(sy(y))} `;
      pen = true;
    }
    const dash = s.dashed ? ` stroke-dasharray="5 4"` : "";
    parts.push(
      `<path class="series" data-series="${escapeHtml(s.name)}" d="${d.trim()}" fill="none" stroke="${s.color}" stroke-width="2"${dash}/>`,
    );
    if (s.markers ?? true) {
      for (const [x, y] of s.points) {
        if (!Number.isFinite(x) || !Number.isFinite(y)) continue;
        parts.push(
          `<circle cx="${r(sx(x))}" cy="${r(sy(y))}" r="3" fill="${s.color}"><title>${escapeHtml(s.name)}: ${formatNumber(x)}, ${formatNumber(y)}</title></circle>`,
        );
      }
    }
    // Legend: one row above the plot, so it never covers the data.
    const ly = 38;
    const lx = legendX;
    legendX += 34 + s.name.length * 6.5;
    parts.push(
      `<line x1="${lx}" x2="${lx + 18}" y1="${ly}" y2="${ly}" stroke="${s.color}" stroke-width="2"${dash}/>`,
    );
    parts.push(`<text class="legend" x="${lx + 24}" y="${ly + 4}">${escapeHtml(s.name)}</text>`);
  });
  parts.push("</svg>");
  return parts.join("\n");
}
