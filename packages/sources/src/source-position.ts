import { createHash } from 'node:crypto';

/**
 * Where a replay stands: the byte offset and line number just past the last CSV row it wrote into the ring (rows
 * before it, rejected ones included, are done), the transactions written so far, and a fingerprint of the header
 * line so a resume refuses a different file.
 */
export interface ReplayPosition {
  kind: 'replay';
  offset: number;
  line: number;
  transactions: number;
  header: string;
}

/**
 * Where a generator stands: the simulator's options that fix its stream (seed, population, scenarios, start), the
 * days generated and the index in the current day of the next transaction, transactions written, and attack
 * transactions injected so far (their ids continue from there).
 */
export interface GeneratorPosition {
  kind: 'generator';
  seed: number;
  customers: number;
  terminals: number;
  scenarios: string;
  startMs: number;
  day: number;
  index: number;
  /** The simulator has generated its last day (`days` reached): only pending labels remain. */
  exhausted?: boolean;
  transactions: number;
  injected: number;
  simulatedTimeMs: number;
}

/** A source's whole resumable state at a checkpoint barrier: its position and its labels waiting for their delay. */
export interface SourceCheckpoint {
  position: ReplayPosition | GeneratorPosition;
  /** `LabelQueue.toBytes` of the pending labels. */
  labels: Uint8Array;
  /**
   * The source's own state beyond its position, when resuming from the position alone would be slow: a generator's
   * simulator state (`Simulator.saveState`), so a resume takes constant time instead of generating every day again.
   */
  state?: Uint8Array;
}

/** A source that can say where it stands between two writes, for an aligned checkpoint. */
export interface ResumableSource {
  /** The position covering exactly the records written so far; call between writes (on the source's thread). */
  checkpoint(seqBase: number): SourceCheckpoint;
}

const MAGIC = 'FSPOS1\n';

/**
 * Encodes a source checkpoint for the scorer snapshot's `extra` bytes:
 * `"FSPOS1\n"` | u32 LE length of the JSON | the position as JSON | the label queue bytes.
 */
export function encodeSourceCheckpoint(c: SourceCheckpoint): Uint8Array {
  const json = Buffer.from(JSON.stringify(c.position), 'utf8');
  const out = Buffer.alloc(MAGIC.length + 4 + json.length + c.labels.byteLength);
  out.write(MAGIC, 0, 'latin1');
  out.writeUInt32LE(json.length, MAGIC.length);
  json.copy(out, MAGIC.length + 4);
  out.set(c.labels, MAGIC.length + 4 + json.length);
  return out;
}

/** Decodes {@link encodeSourceCheckpoint}'s bytes; errors name `name` (the snapshot file) and the field. */
export function decodeSourceCheckpoint(bytes: Uint8Array, name: string): SourceCheckpoint {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.length < MAGIC.length + 4 || buf.toString('latin1', 0, MAGIC.length) !== MAGIC) {
    throw new RangeError(`${name}: the snapshot holds no source position (expected ${JSON.stringify(MAGIC.trim())})`);
  }
  const len = buf.readUInt32LE(MAGIC.length);
  const start = MAGIC.length + 4;
  if (start + len > buf.length) throw new RangeError(`${name}: the source position is truncated`);
  let position: unknown;
  try {
    position = JSON.parse(buf.toString('utf8', start, start + len));
  } catch {
    throw new RangeError(`${name}: the source position is not valid JSON`);
  }
  checkPosition(position, name);
  return { position, labels: new Uint8Array(buf.buffer, buf.byteOffset + start + len, buf.length - start - len) };
}

function checkPosition(p: unknown, name: string): asserts p is ReplayPosition | GeneratorPosition {
  if (typeof p !== 'object' || p === null) throw new RangeError(`${name}: position must be an object`);
  const o = p as Record<string, unknown>;
  const int = (k: string): void => {
    if (!Number.isSafeInteger(o[k]) || (o[k] as number) < 0) throw new RangeError(`${name}: position.${k} must be an integer >= 0`);
  };
  if (o['kind'] === 'replay') {
    for (const k of ['offset', 'line', 'transactions']) int(k);
    if (typeof o['header'] !== 'string') throw new RangeError(`${name}: position.header must be a string`);
  } else if (o['kind'] === 'generator') {
    for (const k of ['customers', 'terminals', 'day', 'index', 'transactions', 'injected']) int(k);
    if (!Number.isSafeInteger(o['seed'])) throw new RangeError(`${name}: position.seed must be an integer`);
    if (typeof o['scenarios'] !== 'string') throw new RangeError(`${name}: position.scenarios must be a string`);
    for (const k of ['startMs', 'simulatedTimeMs']) {
      if (typeof o[k] !== 'number') throw new RangeError(`${name}: position.${k} must be a number`);
    }
  } else {
    throw new RangeError(`${name}: position.kind must be 'replay' or 'generator'`);
  }
}

/** A short fingerprint of a CSV header line (first 16 hex digits of its SHA-256). */
export function headerFingerprint(line: string): string {
  return createHash('sha256').update(line).digest('hex').slice(0, 16);
}
