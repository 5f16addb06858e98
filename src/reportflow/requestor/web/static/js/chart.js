// A line chart as inline SVG: x against one or more y columns, optionally one line per group.

const SVG = "http://www.w3.org/2000/svg";
const WIDTH = 720;
const HEIGHT = 300;
const PAD = { top: 16, right: 16, bottom: 36, left: 56 };
const MAX_SERIES = 8;

function el(tag, attrs = {}, text) {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  if (text !== undefined) node.textContent = text;
  return node;
}

function niceTicks(min, max, count = 5) {
  if (min === max) return [min];
  const step0 = (max - min) / count;
  const magnitude = 10 ** Math.floor(Math.log10(step0));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * magnitude).find((s) => s >= step0);
  const ticks = [];
  for (let t = Math.ceil(min / step) * step; t <= max + step / 1e6; t += step) ticks.push(+t.toPrecision(12));
  return ticks;
}

// Series from rows: [{name, points: [[xIndex, y], ...]}] over the sorted distinct x values.
export function buildSeries(columns, rows, spec) {
  const xi = columns.indexOf(spec.x);
  const gi = spec.group ? columns.indexOf(spec.group) : -1;
  const ys = spec.y.map((y) => [y, columns.indexOf(y)]).filter(([, i]) => i >= 0);
  if (xi < 0 || !ys.length) return null;
  const xs = [...new Set(rows.map((r) => String(r[xi])))].sort();
  const position = new Map(xs.map((x, i) => [x, i]));
  const series = new Map();
  for (const row of rows) {
    for (const [yName, yi] of ys) {
      const value = Number.parseFloat(row[yi]);
      if (!Number.isFinite(value)) continue;
      const name = gi >= 0 ? (ys.length > 1 ? `${row[gi]} · ${yName}` : String(row[gi])) : yName;
      if (!series.has(name)) series.set(name, []);
      series.get(name).push([position.get(String(row[xi])), value]);
    }
  }
  return { xs, series: [...series].slice(0, MAX_SERIES).map(([name, points]) => ({ name, points })) };
}

export function drawChart(container, data, title) {
  const { xs, series } = data;
  const values = series.flatMap((s) => s.points.map((p) => p[1]));
  let lo = Math.min(0, ...values);
  let hi = Math.max(...values);
  if (lo === hi) hi = lo + 1;
  const ticks = niceTicks(lo, hi);
  lo = Math.min(lo, ticks[0]);
  hi = Math.max(hi, ticks.at(-1));
  const w = WIDTH - PAD.left - PAD.right;
  const hgt = HEIGHT - PAD.top - PAD.bottom;
  const x = (i) => PAD.left + (xs.length > 1 ? (i / (xs.length - 1)) * w : w / 2);
  const y = (v) => PAD.top + hgt - ((v - lo) / (hi - lo)) * hgt;
  const svg = el("svg", { viewBox: `0 0 ${WIDTH} ${HEIGHT}`, role: "img", "aria-label": title });
  svg.append(el("title", {}, title));
  for (const t of ticks) {
    svg.append(el("line", { class: "grid", x1: PAD.left, x2: WIDTH - PAD.right, y1: y(t), y2: y(t) }));
    svg.append(el("text", { x: PAD.left - 8, y: y(t) + 4, "text-anchor": "end" }, t.toLocaleString()));
  }
  svg.append(el("line", { class: "axis", x1: PAD.left, x2: WIDTH - PAD.right, y1: y(lo), y2: y(lo) }));
  const every = Math.max(1, Math.ceil(xs.length / 8));
  xs.forEach((label, i) => {
    if (i % every === 0 || i === xs.length - 1) {
      svg.append(el("text", { x: x(i), y: HEIGHT - PAD.bottom + 18, "text-anchor": "middle" }, label));
    }
  });
  const legend = document.createElement("ul");
  legend.className = "legend";
  series.forEach((s, n) => {
    const color = `var(--chart-${(n % MAX_SERIES) + 1})`;
    const points = s.points.sort((a, b) => a[0] - b[0]).map(([i, v]) => `${x(i).toFixed(1)},${y(v).toFixed(1)}`);
    svg.append(el("polyline", { class: "line", points: points.join(" "), style: `stroke:${color}` }));
    if (s.points.length === 1) {
      const [i, v] = s.points[0];
      svg.append(el("circle", { cx: x(i), cy: y(v), r: 3, style: `fill:${color}` }));
    }
    const item = document.createElement("li");
    const swatch = document.createElement("i");
    swatch.style.background = color;
    item.append(swatch, s.name);
    legend.append(item);
  });
  container.replaceChildren(svg, legend);
}

// No chart spec: a time series is a first column of dates or months and a numeric column.
export function guessSpec(columns, rows) {
  if (!rows.length || columns.length < 2) return null;
  const dateLike = /^\d{4}-\d{2}(-\d{2})?([ T].*)?$/;
  if (!rows.every((r) => dateLike.test(String(r[0])))) return null;
  const numeric = columns.slice(1).filter((_, i) => rows.every((r) => Number.isFinite(Number.parseFloat(r[i + 1]))));
  return numeric.length ? { x: columns[0], y: numeric.slice(0, 3), group: null } : null;
}
