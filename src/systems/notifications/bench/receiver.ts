/**
 * The bench's webhook receiver: a bare `node:http` server on loopback in the bench process. It
 * reads the trigger's sequence number from the body (`"seq":"<n>"`, what both sides send) and
 * answers 204. It does not verify signatures: the receiver is not what is measured, and
 * verifying would take the load generator's core (the tests verify every webhook).
 */
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Tracker } from './tracker.js'

const SEQ = /"seq":"(\d+)"/

/** A receiver reporting each webhook's trigger to `tracker`; `url` is where to POST. */
export async function startReceiver(
  tracker: Tracker,
): Promise<{ port: number; url: string; close(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    let raw = ''
    req.on('error', () => {})
    req.on('data', (d: Buffer) => {
      raw += d.toString()
    })
    req.on('end', () => {
      const m = SEQ.exec(raw)
      if (m) tracker.webhook(Number(m[1]))
      res.writeHead(m ? 204 : 400).end()
    })
  })
  server.keepAliveTimeout = 60_000
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const port = (server.address() as AddressInfo).port
  return {
    port,
    url: `http://127.0.0.1:${port}/hooks`,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections()
        server.close(() => r())
      }),
  }
}
