import { createCipheriv, createDecipheriv, createHmac } from 'node:crypto';

/** The four u32 words of a record's card and terminal keys: cardLo, cardHi, termLo, termHi. */
export type LabelKeys = [number, number, number, number];

/** The AES-128 key that seals a case's label keys, derived from the deployment secret (the card-reference secret). */
export function labelSealKey(secret: Uint8Array): Buffer {
  return createHmac('sha256', secret).update('fraudstream case label keys v1').digest().subarray(0, 16);
}

/**
 * Seals a transaction's card and terminal keys for the case store (32 hex digits): one AES-128 block, so the store
 * holds no unkeyed card key (a card key is an unkeyed hash of the card id; the keyed `cardRef` is what the store and
 * the API show). A verdict opens them again to write its label record into the engine.
 */
export function sealLabelKeys(sealKey: Buffer, keys: LabelKeys): string {
  const block = Buffer.alloc(16);
  keys.forEach((k, i) => block.writeUInt32LE(k >>> 0, i * 4));
  const cipher = createCipheriv('aes-128-ecb', sealKey, null).setAutoPadding(false);
  return Buffer.concat([cipher.update(block), cipher.final()]).toString('hex');
}

/**
 * Seals many at once: `words` holds 4 u32 per transaction (cardLo, cardHi, termLo, termHi); returns one sealed form
 * each, equal to {@link sealLabelKeys} of the same keys (ECB seals every 16-byte block on its own).
 * Note: one cipher per call rather than one per transaction: the case writer seals a whole batch of alerts at once.
 */
export function sealLabelKeysBatch(sealKey: Buffer, words: Uint32Array): string[] {
  const n = words.length >>> 2;
  if (n === 0) return [];
  const plain = Buffer.alloc(n * 16);
  for (let i = 0; i < words.length; i++) plain.writeUInt32LE(words[i]! >>> 0, i * 4);
  const cipher = createCipheriv('aes-128-ecb', sealKey, null).setAutoPadding(false);
  const hex = Buffer.concat([cipher.update(plain), cipher.final()]).toString('hex');
  const out = new Array<string>(n);
  for (let i = 0; i < n; i++) out[i] = hex.slice(i * 32, i * 32 + 32);
  return out;
}

/** Opens what {@link sealLabelKeys} sealed. */
export function openLabelKeys(sealKey: Buffer, sealed: string): LabelKeys {
  const decipher = createDecipheriv('aes-128-ecb', sealKey, null).setAutoPadding(false);
  const block = Buffer.concat([decipher.update(Buffer.from(sealed, 'hex')), decipher.final()]);
  return [block.readUInt32LE(0), block.readUInt32LE(4), block.readUInt32LE(8), block.readUInt32LE(12)];
}
