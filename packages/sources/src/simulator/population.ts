import { Flag, hashKeyInto, packCountry, packTerminalWord } from '@fraudstream/schema';
import { Prng } from './prng.js';

/** PRNG stream numbers, so that each part of the simulation draws from its own independent sequence. */
export const Stream = { customers: 1, terminals: 2, transactions: 3, fraud: 4, merchants: 5, extra: 6 } as const;

const MAP_SIZE = 100;

/** Country and south-west corner of the map (the 100 x 100 map is a 100 km square there). */
const HOME_COUNTRY = 'BE';
const HOME_LAT = 50.4;
const HOME_LON = 3.9;
const KM = 1;
const KM_PER_DEG_LAT = 111.2;
const KM_PER_DEG_LON = 111.2 * Math.cos((50.85 * Math.PI) / 180);
/** Merchant categories by channel (ISO 18245). */
const POS_MCC = [5411, 5812, 5541, 5311, 5912, 5651, 5814, 4111, 5999] as const;
const ONLINE_MCC = [5999, 5311, 5815, 5732, 4829, 5944, 5651] as const;
const ATM_MCC = [6011] as const;
/** Categories account-takeover fraud goes for: electronics, money transfer, jewellery, digital goods. */
export const RISKY_MCC: readonly number[] = [5732, 4829, 5944, 5815];
const CHANNELS = ['', 'POS', 'ONLINE', 'ATM'] as const;
/** Foreign places of the impossible-travel scenario: country, latitude, longitude. */
const FOREIGN: readonly (readonly [string, number, number])[] = [
  ['US', 40.7, -74.0],
  ['BR', -23.5, -46.6],
  ['TH', 13.7, 100.5],
  ['NG', 6.5, 3.4],
  ['RU', 55.8, 37.6],
  ['ES', 40.4, -3.7],
  ['IT', 41.9, 12.5],
  ['TR', 41.0, 29.0],
  ['AE', 25.2, 55.3],
  ['MX', 19.4, -99.1],
];
const FOREIGN_CODE = (packed: number): string => String.fromCharCode(packed & 0xff, packed >> 8);

/**
 * Customer and terminal profiles as structure-of-arrays, with each customer's available terminals (those strictly
 * within `radius`, ascending terminal index) in compressed-sparse-row form: customer `c` may use
 * `available[availableStart[c] .. availableStart[c + 1] - 1]`.
 * Card and terminal 64-bit keys are hashed once here (ids are the decimal index) so emission never hashes.
 */
export class Population {
  readonly customers: number;
  readonly terminals: number;
  readonly customerX: Float64Array;
  readonly customerY: Float64Array;
  readonly meanAmount: Float64Array;
  readonly stdAmount: Float64Array;
  readonly meanTxPerDay: Float64Array;
  readonly terminalX: Float64Array;
  readonly terminalY: Float64Array;
  readonly availableStart: Uint32Array;
  readonly available: Uint32Array;
  /** Card keys, two words per customer (low word first), of `hashKeyInto(String(customer))`. */
  readonly cardKeys: Uint32Array;
  /** Terminal keys, two words per terminal (home terminals, then foreign ones). */
  readonly terminalKeys: Uint32Array;
  /** Foreign terminals (ids `terminals .. terminals + foreign - 1`), used only by the impossible-travel scenario. */
  readonly foreign: number;
  /** Per terminal (home and foreign): merchant category code. */
  readonly terminalMcc: Uint16Array;
  /** Per terminal: channel code (1 POS, 2 ONLINE, 3 ATM). */
  readonly terminalChannel: Uint8Array;
  /** Per terminal: ISO country, packed as in the record (`packCountry`). */
  readonly terminalCountry: Uint16Array;
  readonly terminalLat: Float32Array;
  readonly terminalLon: Float32Array;
  /** Per terminal: the record word holding mcc, channel and card-present flags (`packTerminalWord`), for the live generator. */
  readonly terminalWord: Uint32Array;
  /** Per terminal: the CSV suffix `,MCC,CHANNEL,CARD_PRESENT,COUNTRY,LAT,LON`. */
  readonly terminalCsv: string[];
  /** Home terminals of the ONLINE channel, and those of them with a high-risk category. */
  readonly onlineTerminals: Uint32Array;
  readonly riskyOnlineTerminals: Uint32Array;

  constructor(customers: number, terminals: number, seed: number, radius: number) {
    this.customers = customers;
    this.terminals = terminals;
    this.customerX = new Float64Array(customers);
    this.customerY = new Float64Array(customers);
    this.meanAmount = new Float64Array(customers);
    this.stdAmount = new Float64Array(customers);
    this.meanTxPerDay = new Float64Array(customers);
    const cr = new Prng(seed, Stream.customers);
    for (let c = 0; c < customers; c++) {
      this.customerX[c] = cr.uniform(0, MAP_SIZE);
      this.customerY[c] = cr.uniform(0, MAP_SIZE);
      const mean = cr.uniform(5, 100);
      this.meanAmount[c] = mean;
      this.stdAmount[c] = mean / 2;
      this.meanTxPerDay[c] = cr.uniform(0, 4);
    }
    this.terminalX = new Float64Array(terminals);
    this.terminalY = new Float64Array(terminals);
    const tr = new Prng(seed, Stream.terminals);
    for (let t = 0; t < terminals; t++) {
      this.terminalX[t] = tr.uniform(0, MAP_SIZE);
      this.terminalY[t] = tr.uniform(0, MAP_SIZE);
    }
    const { start, list } = availableTerminals(this.customerX, this.customerY, this.terminalX, this.terminalY, radius);
    this.availableStart = start;
    this.available = list;
    this.cardKeys = new Uint32Array(customers * 2);
    for (let c = 0; c < customers; c++) hashKeyInto(String(c), this.cardKeys, c * 2);
    this.foreign = Math.max(1, Math.ceil(terminals / 50));
    const total = terminals + this.foreign;
    this.terminalKeys = new Uint32Array(total * 2);
    for (let t = 0; t < total; t++) hashKeyInto(String(t), this.terminalKeys, t * 2);
    this.terminalMcc = new Uint16Array(total);
    this.terminalChannel = new Uint8Array(total);
    this.terminalCountry = new Uint16Array(total);
    this.terminalLat = new Float32Array(total);
    this.terminalLon = new Float32Array(total);
    this.terminalWord = new Uint32Array(total);
    this.terminalCsv = new Array<string>(total);
    // Merchant attributes draw from their own stream, so the handbook's draws above are unchanged.
    const mr = new Prng(seed, Stream.merchants);
    const online: number[] = [];
    const risky: number[] = [];
    const home = packCountry(HOME_COUNTRY);
    for (let t = 0; t < total; t++) {
      let ch: number;
      let mcc: number;
      let country = home;
      let lat: number;
      let lon: number;
      if (t < terminals) {
        const u = mr.random();
        ch = u < 0.8 ? 1 : u < 0.92 ? 2 : 3;
        const list = ch === 1 ? POS_MCC : ch === 2 ? ONLINE_MCC : ATM_MCC;
        mcc = list[mr.int(list.length)]!;
        // The 100 x 100 map is a 100 km square: 1 unit = 1 km.
        lat = HOME_LAT + (this.terminalY[t]! * KM) / KM_PER_DEG_LAT;
        lon = HOME_LON + (this.terminalX[t]! * KM) / KM_PER_DEG_LON;
        if (ch === 2) {
          online.push(t);
          if (RISKY_MCC.includes(mcc)) risky.push(t);
        }
      } else {
        ch = 1;
        mcc = POS_MCC[mr.int(POS_MCC.length)]!;
        const city = FOREIGN[mr.int(FOREIGN.length)]!;
        country = packCountry(city[0]);
        lat = city[1] + mr.uniform(-0.2, 0.2);
        lon = city[2] + mr.uniform(-0.2, 0.2);
      }
      const present = ch !== 2;
      this.terminalMcc[t] = mcc;
      this.terminalChannel[t] = ch;
      this.terminalCountry[t] = country;
      // 4 decimals (~10 m), so the CSV's 4-decimal text reads back to the same f32 the live generator writes.
      this.terminalLat[t] = Math.round(lat * 1e4) / 1e4;
      this.terminalLon[t] = Math.round(lon * 1e4) / 1e4;
      const flags = Flag.CardPresentKnown | (present ? Flag.CardPresent : 0);
      this.terminalWord[t] = packTerminalWord(mcc, ch, flags);
      const f32Lat = this.terminalLat[t]!;
      const f32Lon = this.terminalLon[t]!;
      this.terminalCsv[t] =
        `,${mcc},${CHANNELS[ch]},${present ? 1 : 0},${t < terminals ? HOME_COUNTRY : FOREIGN_CODE(country)},` +
        `${f32Lat.toFixed(4)},${f32Lon.toFixed(4)}`;
    }
    this.onlineTerminals = Uint32Array.from(online);
    this.riskyOnlineTerminals = Uint32Array.from(risky.length > 0 ? risky : online);
  }

  /** Number of terminals customer `c` can use. */
  availableCount(c: number): number {
    return (this.availableStart[c + 1] ?? 0) - (this.availableStart[c] ?? 0);
  }
}

/**
 * Terminals strictly within `radius` of each customer, found through a uniform grid of cells at least `radius` wide
 * so each customer checks only the 3 x 3 cells around it (instead of every terminal).
 */
export function availableTerminals(
  cx: Float64Array,
  cy: Float64Array,
  tx: Float64Array,
  ty: Float64Array,
  radius: number,
): { start: Uint32Array; list: Uint32Array } {
  // Cells at least `radius` wide (so the 3 x 3 neighbourhood covers the disc), at most 512 x 512 of them.
  const side = Math.min(512, Math.max(1, Math.floor(MAP_SIZE / radius)));
  const cell = MAP_SIZE / side;
  const cellOf = (v: number): number => Math.min(side - 1, Math.max(0, Math.floor(v / cell)));
  // Bucket terminals by cell (counting sort keeps ascending terminal order inside each cell).
  const cellStart = new Uint32Array(side * side + 1);
  const cellOfTerminal = new Uint32Array(tx.length);
  for (let t = 0; t < tx.length; t++) {
    const cell = cellOf(ty[t] ?? 0) * side + cellOf(tx[t] ?? 0);
    cellOfTerminal[t] = cell;
    cellStart[cell + 1]!++;
  }
  for (let i = 0; i < side * side; i++) cellStart[i + 1]! += cellStart[i]!;
  const cellTerminals = new Uint32Array(tx.length);
  const fill = cellStart.slice(0, side * side);
  for (let t = 0; t < tx.length; t++) cellTerminals[fill[cellOfTerminal[t]!]!++] = t;

  const r2 = radius * radius;
  const start = new Uint32Array(cx.length + 1);
  let list = new Uint32Array(Math.max(16, cx.length * 8));
  let n = 0;
  for (let c = 0; c < cx.length; c++) {
    const x = cx[c] ?? 0;
    const y = cy[c] ?? 0;
    const col = cellOf(x);
    const row = cellOf(y);
    const first = n;
    for (let r = Math.max(0, row - 1); r <= Math.min(side - 1, row + 1); r++) {
      for (let k = Math.max(0, col - 1); k <= Math.min(side - 1, col + 1); k++) {
        const cell = r * side + k;
        for (let i = cellStart[cell]!; i < cellStart[cell + 1]!; i++) {
          const t = cellTerminals[i]!;
          const dx = x - tx[t]!;
          const dy = y - ty[t]!;
          if (dx * dx + dy * dy < r2) {
            if (n === list.length) {
              const grown = new Uint32Array(list.length * 2);
              grown.set(list);
              list = grown;
            }
            list[n++] = t;
          }
        }
      }
    }
    list.subarray(first, n).sort();
    start[c + 1] = n;
  }
  return { start, list: list.slice(0, n) };
}
