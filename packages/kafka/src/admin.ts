import { Admin } from '@platformatic/kafka';
import { brokerList, integerOption, topicName } from './errors.js';

/** A topic to create. */
export interface TopicSpec {
  name: string;
  /** Partitions, 1..10,000. */
  partitions: number;
}

/**
 * Creates the topics that do not exist yet (replication factor 1: the single-node broker of `scripts/kafka.sh`;
 * pass more replicas on a real cluster by creating topics there with Kafka's own tools). Existing topics are left
 * as they are, whatever their partition count.
 */
export async function ensureTopics(brokers: string | string[], topics: readonly TopicSpec[], replicas = 1): Promise<string[]> {
  const list = brokerList(brokers, 'brokers');
  topics.forEach((t, i) => {
    topicName(t.name, `topics[${i}].name`);
    integerOption(t.partitions, `topics[${i}].partitions`, 1, 10_000);
  });
  const admin = new Admin({ clientId: 'fraudstream-admin', bootstrapBrokers: list });
  try {
    const existing = new Set(await admin.listTopics());
    const created: string[] = [];
    for (const t of topics) {
      if (existing.has(t.name)) continue;
      await admin.createTopics({ topics: [t.name], partitions: t.partitions, replicas });
      created.push(t.name);
    }
    return created;
  } finally {
    await admin.close();
  }
}
