/** Thrown for Kafka options of the wrong type (a TypeError, so callers can tell misuse from data errors). */
export class KafkaOptionsTypeError extends TypeError {
  override name = 'KafkaOptionsTypeError';
}

/** Thrown for Kafka options out of range or malformed (a RangeError). */
export class KafkaOptionsRangeError extends RangeError {
  override name = 'KafkaOptionsRangeError';
}

/** Longest topic name Kafka accepts. */
const MAX_TOPIC_LENGTH = 249;
const TOPIC_RE = /^[A-Za-z0-9._-]+$/;
const HOST_PORT_RE = /^([A-Za-z0-9.-]+|\[[0-9A-Fa-f:]+\]):(\d{1,5})$/;

/** Validates a topic name (Kafka's rule: 1..249 of `[A-Za-z0-9._-]`, not `.` or `..`). */
export function topicName(value: unknown, name: string): string {
  if (typeof value !== 'string') throw new KafkaOptionsTypeError(`${name} must be a topic name (a string)`);
  if (value.length === 0 || value.length > MAX_TOPIC_LENGTH || !TOPIC_RE.test(value) || value === '.' || value === '..') {
    throw new KafkaOptionsRangeError(`${name} must be 1 to ${MAX_TOPIC_LENGTH} characters of A-Z a-z 0-9 . _ - (got '${value.slice(0, 40)}')`);
  }
  return value;
}

/**
 * Validates a broker list: `HOST:PORT`, an array of them, or one comma-separated string (`a:9092,b:9092`).
 * Returns the list.
 */
export function brokerList(value: unknown, name: string): string[] {
  const list = typeof value === 'string' ? value.split(',').map((s) => s.trim()) : value;
  if (!Array.isArray(list) || list.length === 0) {
    throw new KafkaOptionsTypeError(`${name} must be HOST:PORT or a list of them`);
  }
  for (const b of list) {
    const m = typeof b === 'string' ? HOST_PORT_RE.exec(b) : null;
    const port = m === null ? 0 : Number(m[2]);
    if (m === null || port < 1 || port > 65535) {
      throw new KafkaOptionsRangeError(`${name} must be HOST:PORT with a port from 1 to 65535 (got '${String(b).slice(0, 80)}')`);
    }
  }
  return list as string[];
}

/** Validates an integer in [min, max]. */
export function integerOption(value: unknown, name: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value)) {
    throw new KafkaOptionsTypeError(`${name} must be an integer from ${min} to ${max}`);
  }
  if (value < min || value > max) throw new KafkaOptionsRangeError(`${name} must be an integer from ${min} to ${max}`);
  return value;
}

/** Validates a non-empty string of at most `max` characters. */
export function stringOption(value: unknown, name: string, max = 255): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > max) {
    throw new KafkaOptionsTypeError(`${name} must be a non-empty string of at most ${max} characters`);
  }
  return value;
}
