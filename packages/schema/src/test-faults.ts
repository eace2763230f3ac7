/**
 * The environment variable that turns on test-only faults (a JSON object; the engine's `parseFaults` documents and
 * validates every one). Packages below the engine read their own flag with {@link testFaultFlag}.
 */
export const TEST_FAULTS_ENV = 'FRAUDSTREAM_TEST_FAULTS';

/** True when the test fault `name` is set to `true` in {@link TEST_FAULTS_ENV}; false when unset or not JSON. */
export function testFaultFlag(name: string): boolean {
  const text = process.env[TEST_FAULTS_ENV];
  if (text === undefined || text === '') return false;
  try {
    return (JSON.parse(text) as Record<string, unknown>)[name] === true;
  } catch {
    return false;
  }
}
