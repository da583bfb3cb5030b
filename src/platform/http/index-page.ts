/**
 * `GET /`: a plain page listing the running systems with links to their
 * READMEs' routes, the API docs, readiness and metrics. The console (a Vite
 * app, web/) replaces it when built; this keeps `/` useful without it.
 */
import type { TypedApp } from './types.js'

const escapeHtml = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!)

export function indexPage(systems: { name: string; description: string; prefix: string }[]) {
  const rows = systems
    .map(
      (s) =>
        `<li><strong>${escapeHtml(s.name)}</strong> — ${escapeHtml(s.description)} ` +
        `(<a href="/docs#/${encodeURIComponent(s.name)}">API</a>)</li>`,
    )
    .join('\n')
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>Blueprints</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:46rem;margin:2rem auto;padding:0 1rem}
@media(prefers-color-scheme:dark){body{background:#111;color:#ddd}a{color:#8cf}}</style></head>
<body><h1>Blueprints</h1>
<p>The classic backend systems, built for real. This process runs:</p>
<ul>${rows || '<li>no systems (set SYSTEMS, or add one to src/systems/index.ts)</li>'}</ul>
<p><a href="/docs">API docs</a> · <a href="/openapi.json">OpenAPI</a> · <a href="/readyz">readiness</a> · <a href="/metrics">metrics</a></p>
</body></html>`
  return async (app: TypedApp) => {
    app.get('/', { schema: { hide: true } }, async (_req, reply) =>
      reply.type('text/html; charset=utf-8').send(html),
    )
  }
}
