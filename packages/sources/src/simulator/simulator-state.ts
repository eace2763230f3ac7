import { DayBatch } from './day-batch.js';
import { Prng } from './prng.js';

const MAGIC = 'FSSIM1\n';
/** Scalars of the header, as float64: counters, population, then the three generators' states. */
const HEADER_VALUES = 7 + 3 * Prng.STATE_VALUES;
/** Scalars of one buffered day, as float64. */
const DAY_VALUES = 11;
/** Bytes of one transaction's columns (time i32, customer u32, terminal u32, amount f64, fraud, scenario, inserted u8). */
const TX_BYTES = 4 + 4 + 4 + 8 + 3;

/** What {@link encodeSimulatorState} reads from and {@link decodeSimulatorState} writes into: a simulator's insides. */
export interface SimulatorInsides {
  customers: number;
  terminals: number;
  nextDayIndex: number;
  rawDays: number;
  nextId: number;
  rng: Prng;
  fraud: { rng: Prng; terminalUntil: Int32Array };
  extra: { rng: Prng; takeoverUntil: Int32Array } | undefined;
  /** The lookahead buffer: day d in ring[d % ring.length]. */
  ring: DayBatch[];
}

/**
 * The simulator's whole state as bytes, so a generator resumes in constant time instead of generating every day
 * again: the day counters, the three random generators, the scenario state (terminal compromises, takeovers) and the
 * buffered days from the one being handed out (`nextDayIndex - 1`) to the last generated, with their columns.
 * Layout: `"FSSIM1\n"` | float64 header | the two Int32 tables | per buffered day: float64 scalars then its columns.
 * Native byte order (little-endian on every platform Node runs here); the bytes are checksummed by the checkpoint.
 */
export function encodeSimulatorState(s: SimulatorInsides): Uint8Array {
  const first = Math.max(0, s.nextDayIndex - 1);
  let bytes = MAGIC.length + 8 * HEADER_VALUES + s.fraud.terminalUntil.byteLength + (s.extra?.takeoverUntil.byteLength ?? 0);
  for (let d = first; d < s.rawDays; d++) bytes += 8 * DAY_VALUES + TX_BYTES * s.ring[d % s.ring.length]!.count;
  const out = new Uint8Array(bytes);
  out.set(Buffer.from(MAGIC, 'latin1'), 0);
  let at = MAGIC.length;
  const header = new Float64Array(HEADER_VALUES);
  header.set([s.customers, s.terminals, s.nextDayIndex, s.rawDays, s.nextId, s.extra === undefined ? 0 : 1, first]);
  s.rng.saveInto(header, 7);
  s.fraud.rng.saveInto(header, 7 + Prng.STATE_VALUES);
  s.extra?.rng.saveInto(header, 7 + 2 * Prng.STATE_VALUES);
  const put = (a: ArrayBufferView, n: number): void => {
    out.set(new Uint8Array(a.buffer, a.byteOffset, n), at);
    at += n;
  };
  put(header, header.byteLength);
  put(s.fraud.terminalUntil, s.fraud.terminalUntil.byteLength);
  if (s.extra !== undefined) put(s.extra.takeoverUntil, s.extra.takeoverUntil.byteLength);
  const scalars = new Float64Array(DAY_VALUES);
  for (let d = first; d < s.rawDays; d++) {
    const b = s.ring[d % s.ring.length]!;
    scalars.set([b.day, b.dayStartMs, b.firstId, b.count, b.newTerminalCount, b.newTerminals[0]!, b.newTerminals[1]!, b.newCustomerCount]);
    scalars.set(b.newCustomers, 8);
    put(scalars, scalars.byteLength);
    const n = b.count;
    put(b.timeSec, 4 * n);
    put(b.customer, 4 * n);
    put(b.terminal, 4 * n);
    put(b.amount, 8 * n);
    put(b.fraud, n);
    put(b.scenario, n);
    put(b.inserted, n);
  }
  return out;
}

/**
 * Restores {@link encodeSimulatorState}'s bytes into `s` (a simulator made with the same options). A state that is
 * not one, is truncated, or belongs to another population is a RangeError naming `name` and the field; `s` is then
 * left partly written and must not be used.
 */
export function decodeSimulatorState(bytes: Uint8Array, s: SimulatorInsides, name: string): void {
  const bad = (what: string): never => {
    throw new RangeError(`${name}: the simulator state ${what}`);
  };
  if (bytes.byteLength < MAGIC.length + 8 * HEADER_VALUES || Buffer.from(bytes.buffer, bytes.byteOffset, MAGIC.length).toString('latin1') !== MAGIC) {
    bad(`does not start with ${JSON.stringify(MAGIC.trim())}`);
  }
  let at = MAGIC.length;
  const take = <T extends ArrayBufferView>(into: T, n: number, field: string): T => {
    if (at + n > bytes.byteLength) bad(`is truncated (at ${field})`);
    new Uint8Array(into.buffer, into.byteOffset, n).set(bytes.subarray(at, at + n));
    at += n;
    return into;
  };
  const header = take(new Float64Array(HEADER_VALUES), 8 * HEADER_VALUES, 'the header');
  const [customers, terminals, nextDayIndex, rawDays, nextId, hasExtra, first] = header as unknown as number[];
  if (customers !== s.customers) bad(`has customers ${customers}, this simulator ${s.customers}`);
  if (terminals !== s.terminals) bad(`has terminals ${terminals}, this simulator ${s.terminals}`);
  if ((hasExtra === 1) !== (s.extra !== undefined)) bad(`was taken with scenarios ${hasExtra === 1 ? "'all'" : "'handbook'"}`);
  const count = (v: number | undefined, field: string): number => (Number.isSafeInteger(v) && v! >= 0 ? v! : bad(`has an invalid ${field}`));
  const next = count(nextDayIndex, 'nextDayIndex');
  const raw = count(rawDays, 'rawDays');
  const id = count(nextId, 'nextId');
  if (first !== Math.max(0, next - 1) || raw < first || raw - first > s.ring.length) bad('has an invalid day range');
  take(s.fraud.terminalUntil, s.fraud.terminalUntil.byteLength, 'terminalUntil');
  if (s.extra !== undefined) take(s.extra.takeoverUntil, s.extra.takeoverUntil.byteLength, 'takeoverUntil');
  const scalars = new Float64Array(DAY_VALUES);
  for (let d = first!; d < raw; d++) {
    take(scalars, scalars.byteLength, `day ${d}`);
    if (scalars[0] !== d) bad(`holds day ${scalars[0]} where day ${d} belongs`);
    const n = count(scalars[3], `count of day ${d}`);
    if (n * TX_BYTES > bytes.byteLength - at) bad(`is truncated (at day ${d})`);
    const b = s.ring[d % s.ring.length]!;
    b.reserve(n);
    b.day = d;
    b.dayStartMs = scalars[1]!;
    b.firstId = scalars[2]!;
    b.count = n;
    b.newTerminalCount = scalars[4]!;
    b.newTerminals[0] = scalars[5]!;
    b.newTerminals[1] = scalars[6]!;
    b.newCustomerCount = scalars[7]!;
    b.newCustomers.set(scalars.subarray(8, 11));
    take(b.timeSec, 4 * n, 'timeSec');
    take(b.customer, 4 * n, 'customer');
    take(b.terminal, 4 * n, 'terminal');
    take(b.amount, 8 * n, 'amount');
    take(b.fraud, n, 'fraud');
    take(b.scenario, n, 'scenario');
    take(b.inserted, n, 'inserted');
  }
  if (at !== bytes.byteLength) bad(`has ${bytes.byteLength - at} bytes past its end`);
  s.rng.restoreFrom(header, 7);
  s.fraud.rng.restoreFrom(header, 7 + Prng.STATE_VALUES);
  s.extra?.rng.restoreFrom(header, 7 + 2 * Prng.STATE_VALUES);
  s.nextDayIndex = next;
  s.rawDays = raw;
  s.nextId = id;
}
