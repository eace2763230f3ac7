// Writes docs/openapi.json from the built server (dist/): `pnpm --filter @fraudstream/server openapi` after `pnpm build`.
// test/openapi.test.ts fails when the committed file differs from what this writes.
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { openApiText } from '../dist/index.js';

const out = fileURLToPath(new URL('../../../docs/openapi.json', import.meta.url));
writeFileSync(out, openApiText());
console.log(`wrote ${out}`);
