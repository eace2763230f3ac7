import type { GroupPartitionsAssigner, GroupPartitionsAssignments } from '@platformatic/kafka';

/**
 * A consumer-group assignor that gives partition `i` of every subscribed topic to the same member (members sorted by
 * id, partition i to member i mod N). With the labels topic keyed like the transactions topic (by card id) and given
 * the same partition count, a label then reaches the instance that holds its card's partition, and with it the
 * transaction it labels. (@platformatic/kafka's default round robin continues its count across topics, which
 * co-locates them only when the partition count is a multiple of the member count.)
 */
export const coPartitionedAssigner: GroupPartitionsAssigner = (_current, members, topics, metadata) => {
  const ids = [...members.keys()].sort();
  const out: GroupPartitionsAssignments[] = ids.map((memberId) => ({ memberId, assignments: new Map() }));
  for (const topic of topics) {
    const count = metadata.topics.get(topic)?.partitionsCount ?? 0;
    for (let p = 0; p < count; p++) {
      const member = out[p % out.length]!;
      let a = member.assignments.get(topic);
      if (a === undefined) {
        a = { topic, partitions: [] };
        member.assignments.set(topic, a);
      }
      a.partitions.push(p);
    }
  }
  return out;
};
