import { hashKeyInto } from '@fraudstream/schema';
import { Prng } from './prng.js';

/** PRNG stream numbers, so that each part of the simulation draws from its own independent sequence. */
export const Stream = { customers: 1, terminals: 2, transactions: 3, fraud: 4 } as const;

const MAP_SIZE = 100;

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
  /** Terminal keys, two words per terminal. */
  readonly terminalKeys: Uint32Array;

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
    this.terminalKeys = new Uint32Array(terminals * 2);
    for (let t = 0; t < terminals; t++) hashKeyInto(String(t), this.terminalKeys, t * 2);
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
