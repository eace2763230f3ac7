// The system under test for bench/score-api.mjs: the real composition (engine, worker threads, Rust scorer) behind the
// real server, with the generator never started, so /v1/score is the only input. Prints READY once it listens.
// Usage: node fraudstream-server.mjs PORT [WORKERS] [MAX_BATCH] [LINGER_US] [DEADLINE_MS] [INLINE_MAX_BATCH]
import { startServer } from '@fraudstream/server';
import { createSystem } from '@fraudstream/system';

const [port, workers = '2', maxBatch = '256', lingerUs = '0', deadlineMs = '50', inlineMaxBatch = '64'] = process.argv.slice(2);
const system = await createSystem({ source: { kind: 'generator', tps: 1000 }, workers: Number(workers) });
const server = await startServer({
  system,
  port: Number(port),
  pushIntervalMs: 1000,
  scoring: { maxBatch: Number(maxBatch), lingerUs: Number(lingerUs), deadlineMs: Number(deadlineMs), inlineMaxBatch: Number(inlineMaxBatch) },
  log: () => {},
});
console.log('READY');
const stop = async () => {
  await server.close();
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
