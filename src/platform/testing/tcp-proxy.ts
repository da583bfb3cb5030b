/**
 * A TCP proxy in front of a real service (NATS, Redis, PostgreSQL) that a
 * test can take down and bring back on the same port: the way to cut a
 * dependency away from one process without stopping the shared server.
 * It can also stall one: `pause()` holds every byte in both directions
 * (connections stay open, as with a server stuck or a network black hole)
 * and `resume()` delivers them in order.
 */
import { createServer, type Server, Socket } from 'node:net'

export interface TcpProxy {
  /** The local port clients connect to (stable across stop/start). */
  readonly port: number
  /** Listen again on the same port after `stop`. */
  start(): Promise<void>
  /** Close the listener and destroy every open connection, as a network cut would. */
  stop(): Promise<void>
  /** Hold all traffic, both ways, on every connection (new ones too) until `resume`. */
  pause(): void
  /** Deliver what was held, in order, and forward again. */
  resume(): void
}

/** Start a proxy on 127.0.0.1 that forwards to `host:port`. */
export async function startTcpProxy(host: string, targetPort: number): Promise<TcpProxy> {
  let server: Server | undefined
  const sockets = new Set<Socket>()
  let port = 0
  let paused = false
  const held: [Socket, Buffer][] = []
  const forward = (from: Socket, to: Socket) =>
    from.on('data', (chunk: Buffer) => {
      if (paused) held.push([to, chunk])
      else to.write(chunk)
    })
  const listen = () =>
    new Promise<void>((resolve, reject) => {
      server = createServer((client) => {
        const upstream = new Socket()
        upstream.connect(targetPort, host)
        for (const s of [client, upstream]) {
          sockets.add(s)
          s.on('close', () => sockets.delete(s))
          s.on('error', () => s.destroy())
        }
        forward(client, upstream)
        forward(upstream, client)
        client.on('close', () => upstream.destroy())
        upstream.on('close', () => client.destroy())
      })
      server.once('error', reject)
      server.listen(port, '127.0.0.1', () => {
        port = (server!.address() as { port: number }).port
        resolve()
      })
    })
  await listen()
  return {
    get port() {
      return port
    },
    start: listen,
    pause() {
      paused = true
    },
    resume() {
      paused = false
      for (const [to, chunk] of held.splice(0)) if (!to.destroyed) to.write(chunk)
    },
    async stop() {
      for (const s of sockets) s.destroy()
      await new Promise<void>((r) => (server?.listening ? server.close(() => r()) : r()))
    },
  }
}
