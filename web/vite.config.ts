/**
 * Vite build of the console. `npm start` runs it through scripts/build-web.ts
 * when web/ changed since the last build; the server serves web/dist at `/`.
 * Assets land in /assets/ with content hashes (cached for a year); client
 * routes live under /console/ (a path the URL shortener reserves).
 */
import react from '@vitejs/plugin-react'
import { defineConfig } from 'vite'

export default defineConfig({
  root: new URL('.', import.meta.url).pathname,
  base: '/',
  plugins: [react()],
  // No public/ folder: every file the console needs is hashed under /assets/.
  publicDir: false,
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    // The size report gzips every file a second time; the build is run on every fresh start.
    reportCompressedSize: false,
    chunkSizeWarningLimit: 400,
  },
  server: {
    // `npx vite web` for live editing, against a server started with `npm start`.
    proxy: {
      '^/(rest|readyz|healthz|metrics|openapi\\.json|docs)': 'http://127.0.0.1:3000',
      // The chat page's REST calls and its WebSocket (`/chat/ws`), upgrades included.
      '^/chat/': { target: 'http://127.0.0.1:3000', ws: true },
      // Inventory's routes and its live seat stream (`/inventory/live/ws`); payments' ledger and Stripe-shaped
      // API; the gateway's admin API.
      '^/inventory/': { target: 'http://127.0.0.1:3000', ws: true },
      '^/(payments|v1|gateway)/': 'http://127.0.0.1:3000',
    },
  },
})
