import { statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CardRefHasher, loadOrCreateSecret, SECRET_FILE } from '../src/index.js';
import { SipHash64 } from '../src/siphash.js';
import { SECRET, tempDir } from './helpers.js';

describe('card references', () => {
  it('SipHash-2-4 matches the reference test vector (key 00..0f, message 00..07)', () => {
    const out = new Uint32Array(2);
    new SipHash64(Uint8Array.from({ length: 16 }, (_, i) => i)).hashInto(0x03020100, 0x07060504, out, 0);
    expect([out[0]!.toString(16), out[1]!.toString(16)]).toEqual(['93f5f579', '9a932462']);
    new SipHash64(Uint8Array.from({ length: 16 }, (_, i) => i)).hashInto(0x03020101, 0x07060504, out, 0);
    expect(out[1]!.toString(16)).not.toBe('9a932462');
  });

  it('is deterministic per secret, differs between secrets, and never contains the card id', () => {
    const a = new CardRefHasher(SECRET);
    const b = new CardRefHasher(Buffer.alloc(32, 1));
    expect(a.refOf('4111-card-token')).toMatch(/^[0-9a-f]{16}$/);
    expect(a.refOf('4111-card-token')).toBe(new CardRefHasher(SECRET).refOf('4111-card-token'));
    expect(a.refOf('4111-card-token')).not.toBe(b.refOf('4111-card-token'));
    expect(a.refOf('4111-card-token')).not.toBe(a.refOf('4111-card-tokem'));
    expect(a.fingerprint()).not.toBe(b.fingerprint());
  });

  it('gives the same reference from the cache and from a fresh computation, whatever the collisions', () => {
    const tiny = new CardRefHasher(SECRET, 2);
    const big = new CardRefHasher(SECRET, 1 << 16);
    const refs = Array.from({ length: 200 }, (_, k) => big.refOf(`card-${k % 37}`));
    expect(Array.from({ length: 200 }, (_, k) => tiny.refOf(`card-${k % 37}`))).toEqual(refs);
    expect(new Set(refs).size).toBe(37);
  });

  it('rejects a short secret and bad ids, naming the field', () => {
    expect(() => new CardRefHasher(Buffer.alloc(8))).toThrow(/secret must be a Buffer of at least 16 bytes/);
    expect(() => new CardRefHasher(SECRET, 3)).toThrow(/cacheSlots must be a power of two/);
    expect(() => new CardRefHasher(SECRET).refOf('')).toThrow(/cardId must be a string of 1 to 64/);
  });

  it('creates a per-data-dir secret once (mode 0600) and reads the same one back', () => {
    const dir = tempDir();
    expect(() => loadOrCreateSecret(dir, false)).toThrow(/card-ref.key does not exist/);
    const s = loadOrCreateSecret(dir);
    expect(s.length).toBe(32);
    expect(statSync(join(dir, SECRET_FILE)).mode & 0o777).toBe(0o600);
    expect(loadOrCreateSecret(dir).equals(s)).toBe(true);
    expect(loadOrCreateSecret(tempDir()).equals(s)).toBe(false);
  });
});
