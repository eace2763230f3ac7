// CPU per /v1/score body: the server's one-pass reader (transaction-fast-path.ts) against the general path it falls
// back to (JSON.parse + checkSchema(TransactionSchema) + validateTransaction), on 1,000 bodies like the wrk script's,
// 300 passes each, alternated twice; process CPU time. Needs `pnpm build`. Usage: node bench/score-body-read.mjs
import { parseTransactionFast } from '../apps/server/dist/transaction-fast-path.js';
import { checkTransactionValue } from '../apps/server/dist/score-api.js';
import { parseBody } from '../apps/server/dist/json-schema.js';

const bodies = Array.from({ length: 1000 }, (_, n) =>
  Buffer.from(`{"id":"w1-${n}","cardId":"card-${(n * 7919) % 5000}","terminalId":"term-${n % 997}","amount":${5 + ((n * 13) % 400)}.25,"timestamp":${1767225600000 + n * 50},"channel":"ONLINE","cardPresent":false}`),
);
const readers = {
  'one-pass': (b) => parseTransactionFast(b),
  general: (b) => checkTransactionValue(parseBody(b, { type: 'object' })),
};
let sum = 0;
for (let round = 0; round < 2; round++) {
  for (const [name, read] of Object.entries(readers)) {
    const t0 = process.cpuUsage();
    for (let r = 0; r < 300; r++) {
      for (const b of bodies) {
        const tx = read(b);
        if (tx === undefined || 'code' in tx) throw new Error(`${name} refused a valid body`);
        sum += tx.amount;
      }
    }
    const u = process.cpuUsage(t0);
    console.log(`${name}: ${((u.user + u.system) / (300 * bodies.length)).toFixed(3)} us CPU per body`);
  }
}
if (sum === 0) throw new Error('nothing read');
