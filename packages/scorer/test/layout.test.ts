import { describe, expect, it } from 'vitest';
import { layout as generated } from '@fraudstream/schema';
import { layout } from '../src/index.js';
import { native } from '../src/native.js';

type Table = Record<string, Record<string, number>>;

/** Every constant that differs between two layout tables, as `group.name: a != b`. */
function differences(a: Table, b: Table): string[] {
  const out: string[] = [];
  for (const g of new Set([...Object.keys(a), ...Object.keys(b)])) {
    for (const k of new Set([...Object.keys(a[g] ?? {}), ...Object.keys(b[g] ?? {})])) {
      if (a[g]?.[k] !== b[g]?.[k]) out.push(`${g}.${k}: ${a[g]?.[k]} != ${b[g]?.[k]}`);
    }
  }
  return out;
}

describe('layout', () => {
  it("the generated TypeScript table equals the addon's own constants", () => {
    const addon = native.layout() as Table;
    expect(differences(addon, generated as unknown as Table)).toEqual([]);
    expect(layout).toBe(generated);
    expect(addon.record?.size).toBe(64);
    expect(addon.result?.size).toBe(16);
  });

  it('the comparison reports a changed, a missing and an extra constant', () => {
    const addon = native.layout() as Table;
    const changed = structuredClone(generated) as unknown as Table;
    changed.record!.tsMs = 9;
    delete changed.status!.fallback;
    changed.flag!.extra = 64;
    expect(differences(addon, changed).sort()).toEqual(['flag.extra: undefined != 64', 'record.tsMs: 8 != 9', 'status.fallback: 3 != undefined']);
  });
});
