// Prototype features for validate-configs.mjs: exact sliding windows and distinct cards at a terminal, computed in
// JavaScript from a prepared file so that validation can judge them before any scorer state is spent on them.
// prototypes-check.mjs checks them against a brute-force recomputation.
const DAY = 86_400_000;

/**
 * Exact sliding-window prototypes over the transactions in stream (= event-time) order, each transaction included in
 * its own window (labels are not used, so nothing looks ahead). `slide`: the card's transactions in (t - 24 h, t] and
 * in (t - 1 h, t], and the amount over the mean amount of the card's earlier transactions in (t - 24 h, t) (NaN when
 * none). `tdist`: distinct cards at the terminal in (t - 1 d, t] and (t - 7 d, t], and this card's transactions at
 * this terminal in (t - 30 d, t]. Returns a copy of the feature rows with slots 33-35 replaced.
 */
export function prototypes(p, kind) {
  const f = p.features.slice();
  const n = p.data.txCount;
  const ts = p.data.txTimestampsMs;
  const v = p.data.views;
  const HOUR = 3_600_000;
  const put = (i, a, b, c) => {
    f[i * p.width + 33] = a;
    f[i * p.width + 34] = b;
    f[i * p.width + 35] = c;
  };
  if (kind === 'slide') {
    const hist = new Map(); // card -> { t: number[], a: number[], head24, head1, sum }
    for (let i = 0; i < n; i++) {
      const slot = p.data.txSlots[i];
      const t = ts[i];
      const amount = v.amount(slot);
      let h = hist.get(p.card[i]);
      if (h === undefined) hist.set(p.card[i], (h = { t: [], a: [], head24: 0, head1: 0, sum: 0 }));
      while (h.head24 < h.t.length && h.t[h.head24] <= t - 24 * HOUR) h.sum -= h.a[h.head24++];
      while (h.head1 < h.t.length && h.t[h.head1] <= t - HOUR) h.head1++;
      const prev24 = h.t.length - h.head24;
      const mean = prev24 === 0 ? Number.NaN : h.sum / prev24;
      put(i, prev24 + 1, mean > 0 ? amount / mean : Number.NaN, h.t.length - h.head1 + 1);
      h.t.push(t);
      h.a.push(amount);
      h.sum += amount;
      if (h.head24 > 64 && h.head24 * 2 > h.t.length) {
        h.t = h.t.slice(h.head24);
        h.a = h.a.slice(h.head24);
        h.head1 -= h.head24;
        h.head24 = 0;
      }
    }
  } else {
    const term = (slot) => v.termKeyHi(slot) * 4294967296 + v.termKeyLo(slot);
    const terms = new Map(); // terminal -> { q: [t, card][], heads: [h1, h7], counts: [Map, Map] }
    const pair = new Map(); // card|terminal -> event times in (t - 30 d, t]
    for (let i = 0; i < n; i++) {
      const t = ts[i];
      const k = term(p.data.txSlots[i]);
      const c = p.card[i];
      let s = terms.get(k);
      if (s === undefined) terms.set(k, (s = { q: [], heads: [0, 0], counts: [new Map(), new Map()] }));
      s.q.push([t, c]);
      for (const [w, days] of [[0, 1], [1, 7]]) {
        s.counts[w].set(c, (s.counts[w].get(c) ?? 0) + 1);
        while (s.q[s.heads[w]][0] <= t - days * DAY) {
          const old = s.q[s.heads[w]++][1];
          const left = s.counts[w].get(old) - 1;
          if (left === 0) s.counts[w].delete(old);
          else s.counts[w].set(old, left);
        }
      }
      if (s.heads[0] > 256 && s.heads[0] * 2 > s.q.length) {
        const cut = Math.min(s.heads[0], s.heads[1]);
        s.q = s.q.slice(cut);
        s.heads = [s.heads[0] - cut, s.heads[1] - cut];
      }
      const key = `${c}|${k}`;
      let visits = pair.get(key);
      if (visits === undefined) pair.set(key, (visits = []));
      while (visits.length > 0 && visits[0] <= t - 30 * DAY) visits.shift();
      visits.push(t);
      put(i, s.counts[0].size, s.counts[1].size, visits.length);
    }
  }
  return f;
}

