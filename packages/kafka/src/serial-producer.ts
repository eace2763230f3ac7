import { Producer } from '@platformatic/kafka';
import { compactQueue } from './head-queue.js';

/** One message for {@link SerialProducer.send}. */
export interface OutMessage {
  topic: string;
  key: Buffer | undefined;
  value: Buffer;
}

/** Most messages in one produce request. */
const MAX_REQUEST_MESSAGES = 50_000;
/**
 * Most key + value bytes in one produce request: below the broker's default `message.max.bytes` (1 MiB per record
 * batch, and a request holds one batch per partition), with room for the per-record overhead.
 */
const MAX_REQUEST_BYTES = 768 * 1024;

interface Waiter {
  remaining: number;
  failed: boolean;
  resolve: () => void;
  reject: (err: unknown) => void;
}

interface Queued {
  message: OutMessage;
  waiter: Waiter;
}

/**
 * An idempotent producer (acks from all in-sync replicas, retries without duplicates) with one produce request in
 * flight at a time: what arrives while a request is in flight is sent together in the next one (group commit, up to
 * 768 KiB), so throughput grows with the load instead of with the number of requests.
 *
 * Note: @platformatic/kafka 1.x assigns idempotent sequence numbers per send; with several sends in flight the broker
 * answered OUT_OF_ORDER_SEQUENCE_NUMBER on this machine (Kafka 4.1.1), so one request at a time is the rule here.
 */
export class SerialProducer {
  private readonly producer: Producer<Buffer, Buffer, Buffer, Buffer>;
  private queue: Queued[] = [];
  private head = 0;
  private busy = false;
  private inFlight = 0;
  /** Messages acknowledged by the broker. */
  acknowledged = 0;
  /** Produce requests made. */
  requests = 0;

  constructor(options: { clientId: string; brokers: string[] }) {
    this.producer = new Producer({ clientId: options.clientId, bootstrapBrokers: options.brokers, idempotent: true, retries: 5 });
  }

  /** Messages queued or in flight. */
  get pending(): number {
    return this.queue.length - this.head + this.inFlight;
  }

  /**
   * Queues `messages`; resolves when the broker has acknowledged all of them, rejects when a request carrying some of
   * them failed (the others are still sent: at least once).
   */
  send(messages: OutMessage[]): Promise<void> {
    if (messages.length === 0) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = { remaining: messages.length, failed: false, resolve, reject };
      for (const message of messages) this.queue.push({ message, waiter });
      if (!this.busy) void this.flush();
    });
  }

  private async flush(): Promise<void> {
    this.busy = true;
    while (this.head < this.queue.length) {
      let end = this.head;
      let bytes = 0;
      while (end < this.queue.length && end - this.head < MAX_REQUEST_MESSAGES) {
        const m = this.queue[end]!.message;
        const size = m.value.length + (m.key?.length ?? 0);
        if (end > this.head && bytes + size > MAX_REQUEST_BYTES) break;
        bytes += size;
        end++;
      }
      const batch = this.queue.slice(this.head, end);
      this.head = end;
      const queue = compactQueue(this.queue, this.head);
      if (queue !== this.queue) {
        this.queue = queue;
        this.head = 0;
      }
      this.requests++;
      this.inFlight = batch.length;
      try {
        await this.producer.send({ messages: batch.map((q) => q.message) });
        this.acknowledged += batch.length;
        for (const q of batch) {
          if (--q.waiter.remaining === 0 && !q.waiter.failed) q.waiter.resolve();
        }
      } catch (err) {
        for (const q of batch) {
          if (!q.waiter.failed) {
            q.waiter.failed = true;
            q.waiter.reject(err);
          }
        }
      } finally {
        this.inFlight = 0;
      }
    }
    this.busy = false;
  }

  /** Waits for everything queued, then closes the connections. */
  async close(): Promise<void> {
    while (this.busy || this.pending > 0) await new Promise((r) => setTimeout(r, 5));
    await this.producer.close();
  }
}
