/**
 * Money figures of a backtest: what the alerts at the operating thresholds catch and cost, and a cost curve over
 * thresholds (missed fraud amount plus a fixed handling cost per alert), drawn beside the PR curve.
 */
import type { PrPoint } from './metrics.js';

/** Handling cost of one alert (an analyst's review), in the data's currency, used by the cost curve. */
export const ALERT_COST = 5;

/** Fraud amounts caught and missed and the false alerts, at one alerting rule. */
export interface MoneyAtThreshold {
  /** Sum of the evaluated fraud transactions' amounts. */
  fraudAmount: number;
  /** Of which alerted (REVIEW or DECLINE). */
  caughtAmount: number;
  /** Of which not alerted. */
  missedAmount: number;
  alerts: number;
  /** Alerts on genuine transactions. */
  falseAlerts: number;
  /** False alerts per 1,000 evaluated transactions. */
  falseAlertsPer1000: number;
}

/** One point of the cost curve: alert when score >= threshold. */
export interface CostPoint {
  threshold: number;
  alertsPer1000: number;
  missedAmount: number;
  /** missedAmount + ALERT_COST x alerts. */
  cost: number;
}

/** Money at the scorer's own decisions (`alerted[i]` true for REVIEW/DECLINE) over the evaluated transactions `idx`. */
export function moneyAtDecisions(
  idx: ArrayLike<number>,
  amount: ArrayLike<number>,
  fraud: ArrayLike<number>,
  alerted: (i: number) => boolean,
): MoneyAtThreshold {
  let fraudAmount = 0;
  let caughtAmount = 0;
  let alerts = 0;
  let falseAlerts = 0;
  for (let j = 0; j < idx.length; j++) {
    const i = idx[j]!;
    const a = alerted(i);
    if (fraud[i] === 1) {
      fraudAmount += amount[i]!;
      if (a) caughtAmount += amount[i]!;
    }
    if (a) {
      alerts++;
      if (fraud[i] !== 1) falseAlerts++;
    }
  }
  return {
    fraudAmount,
    caughtAmount,
    missedAmount: fraudAmount - caughtAmount,
    alerts,
    falseAlerts,
    falseAlertsPer1000: idx.length === 0 ? Number.NaN : (1000 * falseAlerts) / idx.length,
  };
}

/**
 * The cost of alerting at every distinct score threshold (highest first), thinned to at most `max` points evenly
 * spaced in alerts; plus the cheapest point.
 */
export function costCurve(
  idx: ArrayLike<number>,
  amount: ArrayLike<number>,
  fraud: ArrayLike<number>,
  scores: ArrayLike<number>,
  max = 400,
): { curve: CostPoint[]; best: CostPoint } {
  const order = Array.from(idx as ArrayLike<number>).sort((a, b) => scores[b]! - scores[a]! || a - b);
  let missed = 0;
  for (const i of order) if (fraud[i] === 1) missed += amount[i]!;
  const n = order.length;
  const all: CostPoint[] = [{ threshold: Number.POSITIVE_INFINITY, alertsPer1000: 0, missedAmount: missed, cost: missed }];
  for (let k = 0; k < n; ) {
    const s = scores[order[k]!]!;
    while (k < n && scores[order[k]!] === s) {
      const i = order[k]!;
      if (fraud[i] === 1) missed -= amount[i]!;
      k++;
    }
    all.push({ threshold: s, alertsPer1000: (1000 * k) / n, missedAmount: Math.max(0, missed), cost: Math.max(0, missed) + ALERT_COST * k });
  }
  let best = all[0]!;
  for (const p of all) if (p.cost < best.cost) best = p;
  if (all.length <= max) return { curve: all, best };
  const curve: CostPoint[] = [];
  for (let j = 0; j < max; j++) curve.push(all[Math.round((j * (all.length - 1)) / (max - 1))]!);
  return { curve, best };
}

/** An SVG with the PR curve (left) and the cost curve (right: cost against alerts per 1,000 transactions). */
export function prAndCostSvg(pr: PrPoint[], cost: CostPoint[], title: string): string {
  const W = 480;
  const H = 400;
  const L = 64;
  const B = 48;
  const T = 32;
  const R = 16;
  const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  const panel = (ox: number, pts: [number, number][], xLabel: string, yLabel: string, xMax: number, yMax: number, color: string): string => {
    const x = (v: number): string => (ox + L + (v / xMax) * (W - L - R)).toFixed(1);
    const y = (v: number): string => (T + (1 - v / yMax) * (H - T - B)).toFixed(1);
    const ticks: string[] = [];
    for (let i = 0; i <= 5; i++) {
      const vx = (i / 5) * xMax;
      const vy = (i / 5) * yMax;
      ticks.push(
        `<line x1="${x(vx)}" y1="${y(0)}" x2="${x(vx)}" y2="${y(yMax)}" stroke="#eee"/>`,
        `<line x1="${x(0)}" y1="${y(vy)}" x2="${x(xMax)}" y2="${y(vy)}" stroke="#eee"/>`,
        `<text x="${x(vx)}" y="${H - B + 18}" text-anchor="middle">${fmt(vx)}</text>`,
        `<text x="${ox + L - 6}" y="${Number(y(vy)) + 4}" text-anchor="end">${fmt(vy)}</text>`,
      );
    }
    const cx = ox + (L + W - R) / 2;
    const cy = (T + H - B) / 2;
    return `${ticks.join('\n')}
<rect x="${ox + L}" y="${T}" width="${W - L - R}" height="${H - T - B}" fill="none" stroke="#333"/>
<polyline fill="none" stroke="${color}" stroke-width="2" points="${pts.map(([a, b]) => `${x(a)},${y(b)}`).join(' ')}"/>
<text x="${cx}" y="${H - 10}" text-anchor="middle">${esc(xLabel)}</text>
<text x="${ox + 14}" y="${cy}" text-anchor="middle" transform="rotate(-90 ${ox + 14} ${cy})">${esc(yLabel)}</text>`;
  };
  const prPts: [number, number][] = [[0, pr[0]?.precision ?? 1], ...pr.map((p): [number, number] => [p.recall, p.precision])];
  // The cost panel shows alert rates up to 50 per 1,000 (beyond, alerts dominate and the curve is a straight line).
  const shown = cost.filter((c) => c.alertsPer1000 <= 50);
  const costMax = Math.max(1, ...shown.map((c) => c.cost));
  const costPts = shown.map((c): [number, number] => [c.alertsPer1000, c.cost]);
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${2 * W}" height="${H}" viewBox="0 0 ${2 * W} ${H}" font-family="sans-serif" font-size="12">
<rect width="${2 * W}" height="${H}" fill="white"/>
<text x="${W}" y="18" text-anchor="middle" font-size="14">${esc(title)}</text>
${panel(0, prPts, 'recall', 'precision', 1, 1, '#c0392b')}
${panel(W, costPts, 'alerts per 1,000 transactions', `missed fraud amount + ${ALERT_COST} per alert`, 50, niceMax(costMax), '#2c3e50')}
</svg>
`;
}

function niceMax(v: number): number {
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

function fmt(v: number): string {
  if (v >= 10_000) return `${Math.round(v / 1000)}k`;
  if (v >= 100 || Number.isInteger(v)) return String(Math.round(v));
  return v.toFixed(1);
}

/** The money section of a backtest report. */
export interface MoneyReport {
  /** At the scorer's operating thresholds and rules (an alert = REVIEW or DECLINE). */
  atDecisions: MoneyAtThreshold;
  /** The cheapest threshold on the cost curve. */
  cheapest: CostPoint;
  /** Thinned cost curve. */
  curve: CostPoint[];
}

/** Money figures of the evaluated transactions `idx` from their amounts, labels, scores and decisions (0 = APPROVE). */
export function moneyReport(
  idx: ArrayLike<number>,
  amount: ArrayLike<number>,
  fraud: ArrayLike<number>,
  scores: ArrayLike<number>,
  decisions: ArrayLike<number>,
): MoneyReport {
  const { curve, best } = costCurve(idx, amount, fraud, scores);
  return { atDecisions: moneyAtDecisions(idx, amount, fraud, (i) => decisions[i]! > 0), cheapest: best, curve };
}
