import { defineConfig } from 'vite';
import solid from 'vite-plugin-solid';

// Built into dist/, which apps/server serves at `/`. `pnpm --filter @fraudstream/dashboard dev` proxies the API and
// the WebSocket to a server on 127.0.0.1:8080.
export default defineConfig({
  plugins: [solid()],
  build: { outDir: 'dist', emptyOutDir: true, target: 'es2022', chunkSizeWarningLimit: 300 },
  server: {
    host: '127.0.0.1',
    proxy: { '/api': 'http://127.0.0.1:8080', '/ws': { target: 'ws://127.0.0.1:8080', ws: true } },
  },
});
