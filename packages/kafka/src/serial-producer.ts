import { Producer } from '@platformatic/kafka';

/** One message for {@link SerialProducer.send}. */
export interface OutMessage {
  topic: string;
  key: Buffer | undefined;
  value: Buffer;
}

/** Most messages in one produce request. */
const MAX_REQUEST_MESSAGES = 50_000;

interface Waiter {
  count: number;
  resolve: () => void;
  reject: (err: unknown) => void;
}

/**
 * An idempotent producer (acks from all in-sync replicas, retries without duplicates) with one produce request in
 * flight at a time: what arrives while a request is in flight is sent together in the next one (group commit), so
 * throughput grows with the load instead of with the number of requests.
 *
 * Note: @platformatic/kafka 1.x assigns idempotent sequence numbers per send; with several sends in flight the broker
 * answered OUT_OF_ORDER_SEQUENCE_NUMBER on this machine (Kafka 4.1.1), so one request at a time is the rule here.
 */
export class SerialProducer {
  private readonly producer: Producer<Buffer, Buffer, Buffer, Buffer>;
  private queue: OutMessage[] = [];
  private waiters: Waiter[] = [];
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
    return this.queue.length + this.inFlight;
  }

  /** Queues `messages`; resolves when the broker has acknowledged all of them (rejects when their request failed). */
  send(messages: OutMessage[]): Promise<void> {
    if (messages.length === 0) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      for (const m of messages) this.queue.push(m);
      this.waiters.push({ count: messages.length, resolve, reject });
      if (!this.busy) void this.flush();
    });
  }

  private async flush(): Promise<void> {
    this.busy = true;
    while (this.queue.length > 0) {
      // Send whole callers only, so each caller's promise settles with exactly its request(s).
      let n = 0;
      let w = 0;
      while (w < this.waiters.length && (n === 0 || n + this.waiters[w]!.count <= MAX_REQUEST_MESSAGES)) n += this.waiters[w++]!.count;
      const batch = this.queue.slice(0, n);
      const done = this.waiters.slice(0, w);
      this.queue = this.queue.slice(n);
      this.waiters = this.waiters.slice(w);
      this.requests++;
      this.inFlight = n;
      try {
        await this.producer.send({ messages: batch });
        this.acknowledged += n;
        for (const d of done) d.resolve();
      } catch (err) {
        for (const d of done) d.reject(err);
      } finally {
        this.inFlight = 0;
      }
    }
    this.busy = false;
  }

  /** Waits for everything queued, then closes the connections. */
  async close(): Promise<void> {
    while (this.busy || this.queue.length > 0) await new Promise((r) => setTimeout(r, 5));
    await this.producer.close();
  }
}
