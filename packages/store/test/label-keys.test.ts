import { describe, expect, it } from 'vitest';
import { labelSealKey, openLabelKeys, sealLabelKeys, sealLabelKeysBatch, type LabelKeys } from '../src/index.js';
import { SECRET } from './helpers.js';

describe('sealed label keys', () => {
  const key = labelSealKey(SECRET);
  const keys: LabelKeys[] = [
    [0, 0, 0, 0],
    [0xffffffff, 1, 0x80000000, 0x12345678],
    [123, 456, 789, 1011],
  ];

  it('round-trip, one at a time and a batch at once, the same sealed form either way', () => {
    const batch = sealLabelKeysBatch(key, Uint32Array.from(keys.flat()));
    expect(batch).toEqual(keys.map((k) => sealLabelKeys(key, k)));
    for (const [i, k] of keys.entries()) {
      expect(batch[i]).toMatch(/^[0-9a-f]{32}$/);
      expect(openLabelKeys(key, batch[i]!)).toEqual(k);
    }
    expect(sealLabelKeysBatch(key, new Uint32Array(0))).toEqual([]);
  });

  it('hide the keys: no word appears in the sealed form, and another secret opens something else', () => {
    const k: LabelKeys = [0xdeadbeef, 0xcafebabe, 0x01020304, 0x0a0b0c0d];
    const sealed = sealLabelKeys(key, k);
    for (const w of k) {
      const le = Buffer.alloc(4);
      le.writeUInt32LE(w);
      expect(sealed).not.toContain(le.toString('hex'));
    }
    const other = labelSealKey(Buffer.alloc(32, 9));
    expect(sealLabelKeys(other, k)).not.toBe(sealed);
    expect(openLabelKeys(other, sealed)).not.toEqual(k);
  });
});
