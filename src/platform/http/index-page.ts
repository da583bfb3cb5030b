/**
 * `GET /`: the console, a Vite + React app built into web/dist (see
 * web/README.md). Its files are served from `/assets/*` (hashed names,
 * cached for a year), and `/` and every `/console/*` client route answer
 * with its index.html (revalidated each time). The URL shortener reserves
 * `assets` and `console` as slugs, so these never shadow a short link.
 *
 * When web/dist is missing (a checkout that has not run `npm install` or
 * `npm start`), the server still starts, and `/` is a plain page listing the
 * running systems that says how to build the console.
 */
import { fileURLToPath } from 'node:url'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { plainProblem } from '../errors.js'
import { sendProblem } from './error-handler.js'
import { answeredByFallback } from './not-found.js'
import { type StaticFile, StaticFiles } from './static-files.js'
import type { TypedApp } from './types.js'

/** Where `npm start` builds the console (scripts/build-web.ts). */
export const CONSOLE_DIST = fileURLToPath(new URL('../../../web/dist/', import.meta.url))

/**
 * What the console's page may load: its own scripts and styles only (uPlot and React set inline
 * styles through the DOM, which `style-src` allows with 'unsafe-inline'), data: images (the icon).
 */
const CONSOLE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'self'",
  "form-action 'self'",
].join('; ')

const HIDDEN = { schema: { hide: true } }

const escapeHtml = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!)

/** The page served at `/` when the console has not been built. */
function unbuiltPage(systems: { name: string; description: string }[]): string {
  const rows = systems
    .map(
      (s) =>
        `<li><strong>${escapeHtml(s.name)}</strong> — ${escapeHtml(s.description)} ` +
        `(<a href="/docs#/${encodeURIComponent(s.name)}">API</a>)</li>`,
    )
    .join('\n')
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>Blueprints</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:46rem;margin:2rem auto;padding:0 1rem}
code{background:#8882;padding:0 .25em;border-radius:3px}
@media(prefers-color-scheme:dark){body{background:#111;color:#ddd}a{color:#8cf}}</style></head>
<body><h1>Blueprints</h1>
<p><strong>The console is not built.</strong> Run <code>npm run build:web</code> (or <code>npm start</code>,
which builds it when missing or stale), then reload.</p>
<p>This process runs:</p>
<ul>${rows || '<li>no systems (set SYSTEMS, or add one to src/systems/index.ts)</li>'}</ul>
<p><a href="/docs">API docs</a> · <a href="/openapi.json">OpenAPI</a> · <a href="/readyz">readiness</a> · <a href="/metrics">metrics</a></p>
</body></html>`
}

function sendFile(request: FastifyRequest, reply: FastifyReply, file: StaticFile, html: boolean) {
  reply
    .header('etag', file.etag)
    .header('cache-control', file.cacheControl)
    .header('x-content-type-options', 'nosniff')
    .header('vary', 'accept-encoding')
  if (html) reply.header('content-security-policy', CONSOLE_CSP).header('referrer-policy', 'same-origin')
  if (request.headers['if-none-match'] === file.etag) return reply.code(304).send()
  reply.type(file.type)
  const accepts = request.headers['accept-encoding']
  if (file.gzip && typeof accepts === 'string' && /\bgzip\b/.test(accepts))
    return reply.header('content-encoding', 'gzip').send(file.gzip)
  return reply.send(file.body)
}

/** Routes of `/`, `/console/*` and `/assets/*`; `distDir` defaults to web/dist. */
export function indexPage(
  systems: { name: string; description: string; prefix: string }[],
  opts: { distDir?: string } = {},
) {
  return async (app: TypedApp) => {
    const files = new StaticFiles(opts.distDir ?? CONSOLE_DIST)
    if (!files.has('index.html')) {
      const html = unbuiltPage(systems)
      const page = async (_req: FastifyRequest, reply: FastifyReply) =>
        reply.header('cache-control', 'no-cache').type('text/html; charset=utf-8').send(html)
      app.get('/', HIDDEN, async (req, reply) =>
        answeredByFallback('root', req, reply) ? reply : page(req, reply),
      )
      app.get('/console', HIDDEN, page)
      app.get('/console/*', HIDDEN, page)
      return
    }
    // Client-side routes all load the same page; the app reads the path and renders the view.
    const index = async (request: FastifyRequest, reply: FastifyReply) =>
      sendFile(request, reply, files.get('index.html')!, true)
    // A system may answer `/` itself (the URL shortener's base-URL redirect); the console stays at /console.
    app.get('/', HIDDEN, async (req, reply) =>
      answeredByFallback('root', req, reply) ? reply : index(req, reply),
    )
    app.get('/console', HIDDEN, index)
    app.get('/console/*', HIDDEN, index)
    app.get('/assets/*', HIDDEN, async (request, reply) => {
      const rest = (request.params as { '*': string })['*']
      const file = files.get(`assets/${rest}`)
      // A missing asset is a 404, never index.html: a stale page must fail loudly, not parse HTML as JS.
      if (!file)
        return sendProblem(request, reply, plainProblem('NOT_FOUND', 404, `No console asset ${rest}`))
      return sendFile(request, reply, file, false)
    })
  }
}
