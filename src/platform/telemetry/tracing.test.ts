/**
 * Spans are exported over OTLP/HTTP only when OTEL_EXPORTER_OTLP_ENDPOINT is
 * set, and carry the caller's trace id. A local HTTP server stands in for
 * the collector.
 */
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { describe, expect, it } from 'vitest'
import { buildTestApp } from '../testing/app.js'
import { fixtureSystem } from '../testing/fixture-system.js'

async function fakeCollector() {
  const bodies: string[] = []
  const server = createServer((req, res) => {
    let body = ''
    req.on('data', (d) => {
      body += d
    })
    req.on('end', () => {
      if (req.url === '/v1/traces') bodies.push(body)
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}')
    })
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const { port } = server.address() as AddressInfo
  return { url: `http://127.0.0.1:${port}`, bodies, close: () => new Promise((r) => server.close(r)) }
}

describe('OTLP export', () => {
  it('exports the server span with the incoming trace id when an endpoint is set', async () => {
    const collector = await fakeCollector()
    const app = await buildTestApp('embedded', {
      systems: [fixtureSystem],
      env: { OTEL_EXPORTER_OTLP_ENDPOINT: collector.url, OTEL_SERVICE_NAME: 'bp-test' },
    })
    const traceId = '0af7651916cd43dd8448eb211c80319c'
    const res = await app.http.inject({
      url: '/fixture/ping',
      headers: { traceparent: `00-${traceId}-b7ad6b7169203331-01` },
    })
    expect(res.statusCode).toBe(200)
    await app.close() // flushes the batch processor
    await collector.close()
    const all = collector.bodies.join('\n')
    expect(all).toContain('bp-test')
    expect(all).toContain('GET /fixture/ping')
    // OTLP/JSON encodes ids as hex strings.
    expect(all.toLowerCase()).toContain(traceId)
  })
})
