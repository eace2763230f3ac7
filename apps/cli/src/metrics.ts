/**
 * Ranking metrics of the backtest, defined exactly as scikit-learn defines them (so an independent recomputation
 * gives the same figures), and the Fraud Detection Handbook's card precision@k.
 */

/** Transaction indices sorted by score, highest first (ties in index order; tie handling below never depends on it). */
function byScoreDesc(scores: ArrayLike<number>, idx: ArrayLike<number>): Uint32Array {
  const order = Uint32Array.from(idx as ArrayLike<number>);
  order.sort((a, b) => (scores[b] as number) - (scores[a] as number) || a - b);
  return order;
}

/**
 * Area under the ROC curve with ties counted half (= sklearn's `roc_auc_score`, trapezoids over distinct
 * thresholds). NaN when only one class is present.
 */
export function aucRoc(scores: ArrayLike<number>, labels: ArrayLike<number>, idx: ArrayLike<number>): number {
  const order = byScoreDesc(scores, idx);
  let pos = 0;
  let neg = 0;
  let area = 0;
  for (let i = 0; i < order.length; ) {
    const s = scores[order[i]!]!;
    let p = 0;
    let n = 0;
    while (i < order.length && scores[order[i]!] === s) {
      if (labels[order[i]!] === 1) p++;
      else n++;
      i++;
    }
    // Negatives of this group rank below every earlier positive and tie with this group's positives.
    area += n * (pos + p / 2);
    pos += p;
    neg += n;
  }
  return pos === 0 || neg === 0 ? Number.NaN : area / (pos * neg);
}

/** One point of the precision-recall curve, at threshold `threshold` (score >= threshold is an alert). */
export interface PrPoint {
  threshold: number;
  precision: number;
  recall: number;
}

/**
 * Average precision as sklearn's `average_precision_score`: sum over distinct thresholds of
 * (R_n - R_{n-1}) * P_n; and the precision-recall points it is made of (highest threshold first).
 */
export function precisionRecall(
  scores: ArrayLike<number>,
  labels: ArrayLike<number>,
  idx: ArrayLike<number>,
): { ap: number; curve: PrPoint[] } {
  const order = byScoreDesc(scores, idx);
  let total = 0;
  for (let i = 0; i < order.length; i++) total += labels[order[i]!] === 1 ? 1 : 0;
  const curve: PrPoint[] = [];
  if (total === 0) return { ap: Number.NaN, curve };
  let tp = 0;
  let n = 0;
  let ap = 0;
  let prevRecall = 0;
  for (let i = 0; i < order.length; ) {
    const s = scores[order[i]!]!;
    while (i < order.length && scores[order[i]!] === s) {
      tp += labels[order[i]!] === 1 ? 1 : 0;
      n++;
      i++;
    }
    const precision = tp / n;
    const recall = tp / total;
    ap += (recall - prevRecall) * precision;
    prevRecall = recall;
    curve.push({ threshold: s, precision, recall });
  }
  return { ap, curve };
}

/**
 * Keeps at most `max` points of a curve: first the points where recall rises (the corners of the PR staircase, at
 * most one per fraud) and the last point, then, if still too many, evenly spaced ones among those.
 */
export function thinCurve(curve: PrPoint[], max: number): PrPoint[] {
  const corners = curve.filter((p, i) => i === 0 || i === curve.length - 1 || p.recall > curve[i - 1]!.recall);
  if (corners.length <= max) return corners;
  const out: PrPoint[] = [];
  for (let i = 0; i < max; i++) out.push(corners[Math.round((i * (corners.length - 1)) / (max - 1))]!);
  return out;
}

/**
 * The handbook's card precision@k over test days: per day (ascending), each card's score is its highest transaction
 * score and its label whether any of its transactions that day is fraud; cards detected on earlier days (fraud and in
 * an earlier day's top k) are left out; the day's value is (frauded cards among the k best cards) / k. Returns the
 * mean over days and the per-day values. `idx` lists the evaluated transactions.
 */
export function cardPrecisionAtK(
  k: number,
  idx: ArrayLike<number>,
  day: ArrayLike<number>,
  card: ArrayLike<number>,
  scores: ArrayLike<number>,
  labels: ArrayLike<number>,
): { mean: number; perDay: { day: number; value: number }[] } {
  const byDay = new Map<number, number[]>();
  for (let j = 0; j < idx.length; j++) {
    const i = idx[j]!;
    const d = day[i]!;
    let list = byDay.get(d);
    if (list === undefined) byDay.set(d, (list = []));
    list.push(i);
  }
  const detected = new Set<number>();
  const perDay: { day: number; value: number }[] = [];
  for (const d of [...byDay.keys()].sort((a, b) => a - b)) {
    const best = new Map<number, { score: number; fraud: number }>();
    for (const i of byDay.get(d)!) {
      const c = card[i]!;
      if (detected.has(c)) continue;
      const b = best.get(c);
      const s = scores[i]!;
      const f = labels[i] === 1 ? 1 : 0;
      if (b === undefined) best.set(c, { score: s, fraud: f });
      else {
        if (s > b.score) b.score = s;
        if (f > b.fraud) b.fraud = f;
      }
    }
    // Ties in card score are broken by card id so the result does not depend on input order.
    const ranked = [...best.entries()].sort((a, b) => b[1].score - a[1].score || a[0] - b[0]).slice(0, k);
    let hits = 0;
    for (const [c, v] of ranked) {
      if (v.fraud === 1) {
        hits++;
        detected.add(c);
      }
    }
    perDay.push({ day: d, value: hits / k });
  }
  const mean = perDay.length === 0 ? Number.NaN : perDay.reduce((a, p) => a + p.value, 0) / perDay.length;
  return { mean, perDay };
}

/** An SVG line plot of a precision-recall curve (recall on x, precision on y, both 0..1). */
export function prCurveSvg(curve: PrPoint[], title: string): string {
  const W = 480;
  const H = 400;
  const L = 56;
  const B = 48;
  const T = 32;
  const R = 16;
  const x = (r: number): string => (L + r * (W - L - R)).toFixed(1);
  const y = (p: number): string => (T + (1 - p) * (H - T - B)).toFixed(1);
  const pts = [`${x(0)},${y(curve[0]?.precision ?? 1)}`, ...curve.map((p) => `${x(p.recall)},${y(p.precision)}`)];
  const ticks: string[] = [];
  for (let i = 0; i <= 10; i += 2) {
    const v = i / 10;
    ticks.push(
      `<line x1="${x(v)}" y1="${y(0)}" x2="${x(v)}" y2="${y(1)}" stroke="#eee"/>`,
      `<line x1="${x(0)}" y1="${y(v)}" x2="${x(1)}" y2="${y(v)}" stroke="#eee"/>`,
      `<text x="${x(v)}" y="${H - B + 18}" text-anchor="middle">${v.toFixed(1)}</text>`,
      `<text x="${L - 8}" y="${Number(y(v)) + 4}" text-anchor="end">${v.toFixed(1)}</text>`,
    );
  }
  const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">
<rect width="${W}" height="${H}" fill="white"/>
${ticks.join('\n')}
<rect x="${L}" y="${T}" width="${W - L - R}" height="${H - T - B}" fill="none" stroke="#333"/>
<polyline fill="none" stroke="#c0392b" stroke-width="2" points="${pts.join(' ')}"/>
<text x="${W / 2}" y="20" text-anchor="middle" font-size="14">${esc(title)}</text>
<text x="${(L + W - R) / 2}" y="${H - 10}" text-anchor="middle">recall</text>
<text x="16" y="${(T + H - B) / 2}" text-anchor="middle" transform="rotate(-90 16 ${(T + H - B) / 2})">precision</text>
</svg>
`;
}
