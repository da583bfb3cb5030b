/**
 * The floor: bare Fastify 5 with Fastify's defaults (no logger, no hooks,
 * no plugins) serving the same trivial routes a scenario sends to the
 * platform. Whatever the platform costs on top of Fastify is the gap between
 * this server and the system in the same round.
 *
 * Environment (this is a standalone program, not part of `src/`):
 *   PORT                    0 picks a free port (default 0)
 *   HOST                    default 127.0.0.1
 *   BARE_PING_PATH          GET -> 200 {"ok":true}, with a response schema (default /fixture/ping)
 *   BARE_REDIRECT_PATH      GET -> 302 to BARE_REDIRECT_LOCATION (default /r/:code)
 *   BARE_REDIRECT_LOCATION  `{code}` is replaced by the :code parameter (default https://example.com/{code})
 *
 * Prints one JSON line `{"listening":"http://127.0.0.1:<port>"}` on stdout
 * once it listens; exits 0 on SIGTERM/SIGINT after closing.
 */
import Fastify from 'fastify'

const env = process.env
const port = Number(env.PORT ?? 0)
const host = env.HOST ?? '127.0.0.1'
const pingPath = env.BARE_PING_PATH ?? '/fixture/ping'
const redirectPath = env.BARE_REDIRECT_PATH ?? '/r/:code'
const redirectLocation = env.BARE_REDIRECT_LOCATION ?? 'https://example.com/{code}'

const app = Fastify()

// The same response schema the fixture route has: Fastify then serializes with a compiled
// fast-json-stringify function, so both sides pay the same serialization cost.
app.get(
  pingPath,
  {
    schema: {
      response: {
        200: { type: 'object', properties: { ok: { type: 'boolean' } }, required: ['ok'] },
      },
    },
  },
  async () => ({ ok: true }),
)

app.get<{ Params: { code?: string } }>(redirectPath, async (request, reply) => {
  const code = request.params.code ?? ''
  return reply.redirect(redirectLocation.replaceAll('{code}', encodeURIComponent(code)), 302)
})

let closing = false
for (const sig of ['SIGTERM', 'SIGINT'] as const)
  process.on(sig, () => {
    if (closing) return
    closing = true
    app.close().then(
      () => process.exit(0),
      () => process.exit(1),
    )
  })

await app.listen({ port, host })
const address = app.server.address()
const actualPort = typeof address === 'object' && address ? address.port : port
const shownHost = host.includes(':') ? `[${host}]` : host
process.stdout.write(`${JSON.stringify({ listening: `http://${shownHost}:${actualPort}` })}\n`)
