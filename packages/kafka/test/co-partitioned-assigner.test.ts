import type { ClusterMetadata, ExtendedGroupProtocolSubscription } from '@platformatic/kafka';
import { describe, expect, it } from 'vitest';
import { coPartitionedAssigner } from '../src/index.js';

/** Minimal cluster metadata: only the partition counts the assignor reads. */
function metadata(counts: Record<string, number>): ClusterMetadata {
  return { topics: new Map(Object.entries(counts).map(([t, n]) => [t, { partitionsCount: n }])) } as unknown as ClusterMetadata;
}

function members(...ids: string[]): Map<string, ExtendedGroupProtocolSubscription> {
  return new Map(ids.map((id) => [id, { memberId: id } as ExtendedGroupProtocolSubscription]));
}

/** member -> topic -> partitions. */
function assign(ids: string[], counts: Record<string, number>): Map<string, Map<string, number[]>> {
  const out = coPartitionedAssigner(ids[0]!, members(...ids), new Set(Object.keys(counts)), metadata(counts));
  return new Map(out.map((m) => [m.memberId, new Map([...m.assignments].map(([t, a]) => [t, a.partitions]))]));
}

describe('coPartitionedAssigner', () => {
  it('gives partition i of every topic to the same member, for member counts that do not divide the partitions', () => {
    for (const n of [1, 2, 3, 5]) {
      const ids = Array.from({ length: n }, (_, i) => `member-${(i * 7) % n}-${i}`);
      const a = assign(ids, { transactions: 4, labels: 4 });
      const ownerOf = (topic: string, p: number): string[] =>
        [...a].filter(([, topics]) => (topics.get(topic) ?? []).includes(p)).map(([id]) => id);
      for (let p = 0; p < 4; p++) {
        const owners = ownerOf('transactions', p);
        expect(owners).toHaveLength(1);
        expect(ownerOf('labels', p)).toEqual(owners);
      }
    }
  });

  it('spreads partitions evenly and deterministically (members sorted by id)', () => {
    const a = assign(['b', 'a', 'c'], { t: 6 });
    expect(a.get('a')!.get('t')).toEqual([0, 3]);
    expect(a.get('b')!.get('t')).toEqual([1, 4]);
    expect(a.get('c')!.get('t')).toEqual([2, 5]);
  });
});
