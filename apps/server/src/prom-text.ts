/**
 * A small writer of the Prometheus text exposition format (version 0.0.4): `# HELP` and `# TYPE` once per family,
 * then its samples. Label values are escaped as the format asks (backslash, double quote, newline).
 */
export class PromText {
  #out: string[] = [];

  /** A counter family; `name` must end in `_total`. */
  counter(name: string, help: string, samples: number | readonly LabeledValue[]): void {
    this.#family(name, help, 'counter', samples);
  }

  /** A gauge family. */
  gauge(name: string, help: string, samples: number | readonly LabeledValue[]): void {
    this.#family(name, help, 'gauge', samples);
  }

  /**
   * A histogram family from cumulative bucket counts: `counts[i]` observations <= `bounds[i]` (ascending), `count` in
   * all (the `+Inf` bucket) and their `sum`.
   */
  histogram(name: string, help: string, bounds: readonly number[], counts: readonly number[], count: number, sum: number): void {
    this.#head(name, help, 'histogram');
    for (let i = 0; i < bounds.length; i++) {
      this.#out.push(`${name}_bucket{le="${formatNumber(bounds[i] ?? 0)}"} ${formatNumber(counts[i] ?? 0)}`);
    }
    this.#out.push(`${name}_bucket{le="+Inf"} ${formatNumber(count)}`);
    this.#out.push(`${name}_sum ${formatNumber(sum)}`);
    this.#out.push(`${name}_count ${formatNumber(count)}`);
  }

  /** The exposition, ending with a newline. */
  toString(): string {
    return `${this.#out.join('\n')}\n`;
  }

  #family(name: string, help: string, type: string, samples: number | readonly LabeledValue[]): void {
    this.#head(name, help, type);
    if (typeof samples === 'number') {
      this.#out.push(`${name} ${formatNumber(samples)}`);
      return;
    }
    for (const { labels, value } of samples) this.#out.push(`${name}${formatLabels(labels)} ${formatNumber(value)}`);
  }

  #head(name: string, help: string, type: string): void {
    if (!/^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(name)) throw new RangeError(`metric name ${JSON.stringify(name)} is not valid`);
    this.#out.push(`# HELP ${name} ${help.replaceAll('\\', '\\\\').replaceAll('\n', '\\n')}`, `# TYPE ${name} ${type}`);
  }
}

/** One sample of a labelled family. */
export interface LabeledValue {
  labels: Readonly<Record<string, string>>;
  value: number;
}

function formatLabels(labels: Readonly<Record<string, string>>): string {
  const parts = Object.entries(labels).map(
    ([k, v]) => `${k}="${v.replaceAll('\\', '\\\\').replaceAll('"', '\\"').replaceAll('\n', '\\n')}"`,
  );
  return parts.length === 0 ? '' : `{${parts.join(',')}}`;
}

/** A sample value as Prometheus reads it (NaN and infinities by name). */
function formatNumber(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}
