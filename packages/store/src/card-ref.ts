import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { StoreInputError } from './errors.js';

export { CardRefHasher, MIN_SECRET_BYTES } from '@fraudstream/schema';

/** File in the data dir holding the generated deployment secret when none is configured (mode 0600). */
export const SECRET_FILE = 'card-ref.key';

/** Renders a reference's two words as 16 lower-case hex digits. */
export function refToHex(hi: number, lo: number): string {
  return (hi >>> 0).toString(16).padStart(8, '0') + (lo >>> 0).toString(16).padStart(8, '0');
}

/** Parses 16 hex digits into a reference's [hi, lo] words; a bad value is an error naming `field`. */
export function refFromHex(hex: string, field: string): [number, number] {
  if (typeof hex !== 'string' || !/^[0-9a-f]{16}$/.test(hex)) {
    throw new StoreInputError(field, `${field} must be 16 lower-case hex digits`);
  }
  return [Number.parseInt(hex.slice(0, 8), 16), Number.parseInt(hex.slice(8), 16)];
}

/**
 * The deployment's card-reference secret for a data dir: `DIR/card-ref.key` (32 random bytes, hex, mode 0600),
 * created on first use. Configuration may supply its own secret instead; either way it must stay the same for the
 * life of the data, or old references no longer match new lookups.
 */
export function loadOrCreateSecret(dataDir: string, create = true): Buffer {
  const file = join(dataDir, SECRET_FILE);
  if (!existsSync(file)) {
    if (!create) throw new StoreInputError('dataDir', `${file} does not exist: no card-reference secret in this data dir`);
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(file, `${randomBytes(32).toString('hex')}\n`, { mode: 0o600, flag: 'wx' });
    chmodSync(file, 0o600);
  }
  const text = readFileSync(file, 'utf8').trim();
  if (!/^[0-9a-f]{32,256}$/.test(text)) throw new StoreInputError('dataDir', `${file} must hold 32 to 256 hex digits`);
  return Buffer.from(text, 'hex');
}
