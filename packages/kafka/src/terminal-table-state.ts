// The saved form of a TerminalTable (one file per Kafka checkpoint, beside the scorer snapshot) and its validation.

/** One aggregate of a {@link TerminalTableState}: key `partition:terminalLo:terminalHi:day` and its three counts. */
export type TerminalTableEntry = [key: string, tx: number, labelled: number, fraud: number];

/**
 * What a checkpoint saves of a `TerminalTable`: this instance's own counts and what it merged, as they are in
 * the checkpoint's scorer state (the last 45 days). The table's latest values (`pub`) are not saved: a
 * restart reads the topic again from the earliest offset.
 */
export interface TerminalTableState {
  format: 'fraudstream-terminal-table-1';
  topic: string;
  own: TerminalTableEntry[];
  merged: TerminalTableEntry[];
}

/** The `format` of a saved state. */
export const STATE_FORMAT = 'fraudstream-terminal-table-1';
/** A table key: `partition:terminalLo:terminalHi:day`. */
export const KEY_RE = /^\d+:\d+:\d+:-?\d+$/;
/** The event day of a table key. */
export const dayOf = (key: string): number => Number(key.slice(key.lastIndexOf(':') + 1));

/** Parses and validates a saved {@link TerminalTableState}; throws a TypeError saying what is wrong. */
export function parseTerminalTableState(text: string): TerminalTableState {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (err) {
    throw new TypeError(`not JSON (${err instanceof Error ? err.message : String(err)})`);
  }
  const s = v as Partial<TerminalTableState> | null;
  if (typeof s !== 'object' || s === null || s.format !== STATE_FORMAT || typeof s.topic !== 'string') throw new TypeError(`not a ${STATE_FORMAT} state`);
  for (const field of ['own', 'merged'] as const) {
    const list: unknown = s[field];
    if (!Array.isArray(list)) throw new TypeError(`${field} must be a list of [key, tx, labelled, fraud]`);
    for (const [i, e] of list.entries()) {
      const ok =
        Array.isArray(e) && e.length === 4 && typeof e[0] === 'string' && KEY_RE.test(e[0]) && e.slice(1).every((x: unknown) => Number.isInteger(x) && (x as number) >= 0 && (x as number) < 2 ** 31);
      if (!ok) throw new TypeError(`${field}[${i}] must be [partition:lo:hi:day, tx, labelled, fraud] with counts from 0 to 2^31-1`);
    }
  }
  return s as TerminalTableState;
}
