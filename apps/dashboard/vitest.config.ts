import { defineConfig } from 'vitest/config';

// Unit tests of the dashboard's pure logic (ring buffers, trade-off maths, slider scale); the page itself is tested
// in a real browser by tests/browser.
export default defineConfig({ test: { include: ['test/**/*.test.ts'], environment: 'node' } });
