/**
 * A TCP proxy in front of a real service (NATS, Redis, PostgreSQL) that a
 * test can take down and bring back on the same port: the way to cut a
 * dependency away from one process without stopping the shared server.
 */
import { createServer, type Server, Socket } from 'node:net'

export interface TcpProxy {
  /** The local port clients connect to (stable across stop/start). */
  readonly port: number
  /** Listen again on the same port after `stop`. */
  start(): Promise<void>
  /** Close the listener and destroy every open connection, as a network cut would. */
  stop(): Promise<void>
}

/** Start a proxy on 127.0.0.1 that forwards to `host:port`. */
export async function startTcpProxy(host: string, targetPort: number): Promise<TcpProxy> {
  let server: Server | undefined
  const sockets = new Set<Socket>()
  let port = 0
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
        client.pipe(upstream).pipe(client)
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
    async stop() {
      for (const s of sockets) s.destroy()
      await new Promise<void>((r) => (server?.listening ? server.close(() => r()) : r()))
    },
  }
}
