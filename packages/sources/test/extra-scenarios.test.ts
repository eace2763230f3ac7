import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CSV_COLUMNS, unpackCountry } from '@fraudstream/schema';
import {
  CSV_EXTRA_COLUMNS,
  GENUINE_LARGE,
  GENUINE_NIGHT,
  GENUINE_TRIP,
  generateCsv,
  RISKY_MCC,
  SCENARIO1_AMOUNT,
  Simulator,
  TAKEOVER_DAYS,
} from '../src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'fraudstream-extra-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const km = (lat1: number, lon1: number, lat2: number, lon2: number): number => {
  const r = Math.PI / 180;
  const a = Math.sin(((lat2 - lat1) * r) / 2) ** 2 + Math.cos(lat1 * r) * Math.cos(lat2 * r) * Math.sin(((lon2 - lon1) * r) / 2) ** 2;
  return 2 * 6371 * Math.asin(Math.sqrt(a));
};

describe('extra fraud scenarios (4 card testing, 5 impossible travel, 6 account takeover)', () => {
  it('genuine cards travel, make large purchases and pay at night, never labelled fraud', () => {
    const sim = new Simulator({ customers: 3000, terminals: 6000, days: 30, seed: 9 });
    const p = sim.population;
    const n = { trip: 0, large: 0, night: 0, largeAbove220: 0, fastTrips: 0 };
    const bad = { fraud: 0, trip: 0, large: 0, night: 0 };
    for (let b = sim.nextDay(); b !== undefined; b = sim.nextDay()) {
      for (let i = 0; i < b.count; i++) {
        const code = b.inserted[i]!;
        if (code < GENUINE_TRIP) continue;
        if (b.fraud[i] !== 0 || b.scenario[i] !== 0) bad.fraud++;
        const c = b.customer[i]!;
        const t = b.terminal[i]!;
        if (code === GENUINE_TRIP) {
          n.trip++;
          // Abroad, card present, and no faster than a plane since the card's last card-present payment at home.
          let home = -1;
          for (let j = 0; j < b.count; j++) {
            if (b.customer[j] === c && b.inserted[j] === 0 && p.terminalChannel[b.terminal[j]!] !== 2 && (home < 0 || b.timeSec[j]! > b.timeSec[home]!)) home = j;
          }
          const th = home < 0 ? -1 : b.terminal[home]!;
          const dist = home < 0 ? 0 : km(p.terminalLat[th]!, p.terminalLon[th]!, p.terminalLat[t]!, p.terminalLon[t]!);
          const kmh = home < 0 ? Infinity : dist / ((b.timeSec[i]! - b.timeSec[home]!) / 3600);
          if (t < p.terminals || p.terminalChannel[t] !== 1 || home < 0 || !(kmh < 900)) bad.trip++;
          if (kmh > 300) n.fastTrips++;
        } else if (code === GENUINE_LARGE) {
          n.large++;
          if (b.amount[i]! > SCENARIO1_AMOUNT) n.largeAbove220++;
          if (t >= p.terminals) bad.large++;
        } else if (code === GENUINE_NIGHT) {
          n.night++;
          if (b.timeSec[i]! > 6 * 3600 || t >= p.terminals) bad.night++;
        }
      }
    }
    expect(bad).toEqual({ fraud: 0, trip: 0, large: 0, night: 0 });
    expect(n.trip).toBeGreaterThan(50);
    expect(n.fastTrips).toBeGreaterThan(10);
    expect(n.large).toBeGreaterThan(500);
    expect(n.largeAbove220).toBeGreaterThan(10);
    expect(n.night).toBeGreaterThan(1000);
  });

  it('each has its defining property, and the handbook scenarios are unchanged', () => {
    const sim = new Simulator({ customers: 2000, terminals: 4000, days: 40, seed: 5 });
    const p = sim.population;
    const count = [0, 0, 0, 0, 0, 0, 0];
    const bad = { ct: 0, ctBurst: 0, travel: 0, ato: 0, channel: 0 };
    const takeoverDays = new Map<number, Set<number>>();
    for (let b = sim.nextDay(); b !== undefined; b = sim.nextDay()) {
      // Card testing per customer and day: tiny online amounts, then one large online amount after them.
      const ct = new Map<number, { tiny: number[]; large: number[] }>();
      for (let i = 0; i < b.count; i++) {
        const s = b.scenario[i]!;
        count[s]!++;
        const t = b.terminal[i]!;
        const c = b.customer[i]!;
        const ch = p.terminalChannel[t]!;
        if (p.terminalMcc[t] === 0 || ch < 1 || ch > 3) bad.channel++;
        if (s === 4) {
          if (ch !== 2 || b.fraud[i] !== 1) bad.ct++;
          const e = ct.get(c) ?? { tiny: [], large: [] };
          (b.amount[i]! < 3 ? e.tiny : e.large).push(b.timeSec[i]!);
          ct.set(c, e);
        } else if (s === 5) {
          // Abroad, card present, and within 90 minutes of one of the card's card-present transactions at home.
          const home = [];
          for (let j = 0; j < b.count; j++) {
            const tj = b.terminal[j]!;
            if (b.customer[j] === c && b.scenario[j] !== 5 && p.terminalChannel[tj] !== 2 && tj < p.terminals) home.push(j);
          }
          const near = home.some((j) => {
            const tj = b.terminal[j]!;
            const dist = km(p.terminalLat[tj]!, p.terminalLon[tj]!, p.terminalLat[t]!, p.terminalLon[t]!);
            return Math.abs(b.timeSec[j]! - b.timeSec[i]!) <= 5400 && dist > 1000;
          });
          if (t < p.terminals || ch !== 1 || unpackCountry(p.terminalCountry[t]!) === 'BE' || !near) bad.travel++;
        } else if (s === 6) {
          if (ch !== 2 || !RISKY_MCC.includes(p.terminalMcc[t]!) || !(b.amount[i]! > 0)) bad.ato++;
          const days = takeoverDays.get(c) ?? new Set<number>();
          days.add(b.day);
          takeoverDays.set(c, days);
        }
      }
      for (const e of ct.values()) {
        if (e.tiny.length < 3 || e.large.length < 1 || Math.max(...e.tiny) > Math.min(...e.large)) bad.ctBurst++;
      }
    }
    expect(bad).toEqual({ ct: 0, ctBurst: 0, travel: 0, ato: 0, channel: 0 });
    for (let s = 1; s <= 6; s++) expect(count[s]).toBeGreaterThan(10);
    // A takeover lasts at most TAKEOVER_DAYS consecutive days per draw.
    for (const days of takeoverDays.values()) expect(days.size).toBeGreaterThanOrEqual(1);
    expect([...takeoverDays.values()].some((d) => d.size === TAKEOVER_DAYS)).toBe(true);

    // scenarios: 'handbook' gives the same handbook transactions (the extra patterns use their own PRNG stream).
    const a = new Simulator({ customers: 300, terminals: 600, days: 5, seed: 2, scenarios: 'handbook' });
    const b = new Simulator({ customers: 300, terminals: 600, days: 5, seed: 2 });
    for (let d = 0; d < 5; d++) {
      const x = a.nextDay()!;
      const own: string[] = [];
      for (let i = 0; i < x.count; i++) own.push(`${x.timeSec[i]},${x.customer[i]},${x.terminal[i]}`);
      const y = b.nextDay()!;
      const kept: string[] = [];
      for (let i = 0; i < y.count; i++) if (y.inserted[i] === 0) kept.push(`${y.timeSec[i]},${y.customer[i]},${y.terminal[i]}`);
      expect(kept).toEqual(own);
    }
  });

  it('generateCsv writes the extra columns, consistent per terminal, deterministically', async () => {
    const opts = { customers: 300, terminals: 600, days: 10, seed: 4 };
    const a = join(dir, 'a.csv');
    const b = join(dir, 'b.csv');
    await generateCsv(opts, a);
    await generateCsv(opts, b);
    const text = readFileSync(a, 'utf8');
    expect(readFileSync(b, 'utf8')).toBe(text);
    const lines = text.trimEnd().split('\n');
    expect(lines[0]).toBe([...CSV_COLUMNS, ...CSV_EXTRA_COLUMNS].join(','));
    const perTerminal = new Map<string, string>();
    const row = /^\d+,[^,]+,\d+,(\d+),[\d.]+,\d+,\d+,[01],([0-6]),(\d{4}),(POS|ONLINE|ATM),([01]),([A-Z]{2}),(-?\d+\.\d{4}),(-?\d+\.\d{4})$/;
    for (let i = 1; i < lines.length; i++) {
      const m = row.exec(lines[i]!);
      if (m === null) throw new Error(`bad line ${i}: ${lines[i]}`);
      const attrs = m.slice(3).join(',');
      if ((perTerminal.get(m[1]!) ?? attrs) !== attrs) throw new Error(`terminal ${m[1]} changes attributes on line ${i}`);
      perTerminal.set(m[1]!, attrs);
      if ((m[4] === 'ONLINE') !== (m[5] === '0')) throw new Error(`card present inconsistent with channel on line ${i}`);
    }
  });
});
