/**
 * The proxy listener (GATEWAY_PORT, 8000 by default as Kong's), apart from the main port so that
 * proxied paths never meet the platform's routes. Plain node:http: nothing between the socket and
 * the pipeline. Requests the parser refuses (smuggling attempts, bad headers, oversized heads,
 * slow heads) get a Kong-shaped 4xx and the connection is closed.
 */
import { createServer, type Server } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import type { Logger } from '../../../platform/telemetry/logger.js'
import { MESSAGES, SERVER_HEADER } from './errors.js'

export interface ProxyServerOptions {
  maxHeaderBytes: number
  headersTimeoutMs: number
  log: Logger
}

function rawError(socket: Socket, status: number, reason: string, message: string): void {
  if (!socket.writable) {
    socket.destroy()
    return
  }
  const body = JSON.stringify({ message })
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nserver: ${SERVER_HEADER}\r\ncontent-type: application/json; charset=utf-8\r\n` +
      `content-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
  )
}

export class ProxyServer {
  readonly server: Server
  /** Client sockets switched to another protocol (WebSocket): closed last on shutdown. */
  readonly upgraded = new Set<Socket>()
  private listening = false
  /** The bound port, kept: `server.address()` builds an object per call (it showed in profiles). */
  private boundPort = 0

  constructor(handler: Parameters<typeof createServer>[1], o: ProxyServerOptions) {
    this.server = createServer(
      {
        maxHeaderSize: o.maxHeaderBytes,
        headersTimeout: o.headersTimeoutMs,
        requestTimeout: 0,
        keepAliveTimeout: 60_000,
        requireHostHeader: true,
        joinDuplicateHeaders: false,
        insecureHTTPParser: false,
      },
      handler,
    )
    this.server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => {
      const code = err.code ?? ''
      if (code === 'ECONNRESET' || !socket.writable) return socket.destroy()
      // A response to an earlier request of this connection is under way (what follows it did not
      // parse: pipelined garbage or a smuggling attempt): finish that one, then close, answering
      // nothing more on a connection whose framing is lost.
      const inFlight = (socket as Socket & { _httpMessage?: NodeJS.EventEmitter | null })._httpMessage
      if (inFlight) {
        inFlight.once('finish', () => socket.destroy())
        return
      }
      if (code === 'HPE_HEADER_OVERFLOW')
        return rawError(socket, 431, 'Request Header Fields Too Large', 'Request header or cookie too large')
      if (code === 'ERR_HTTP_REQUEST_TIMEOUT')
        return rawError(socket, 408, 'Request Timeout', 'Request timeout')
      o.log.debug({ code }, 'refused a malformed request')
      rawError(
        socket,
        400,
        'Bad Request',
        `${MESSAGES.badRequest}: ${err.message.replace(/[^\x20-\x7e]/g, '')}`,
      )
    })
  }

  async listen(port: number, host: string): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject)
      this.server.listen(port, host, () => {
        this.server.off('error', reject)
        resolve()
      })
    })
    this.listening = true
    this.boundPort = (this.server.address() as AddressInfo).port
    return this.boundPort
  }

  get port(): number {
    return this.listening ? this.boundPort : 0
  }

  /** Stop accepting, let requests in flight finish (bounded by `graceMs`), then close the rest. */
  async close(graceMs = 10_000): Promise<void> {
    if (!this.listening) return
    this.listening = false
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()))
    this.server.closeIdleConnections()
    // Upgraded sockets are not the HTTP server's any more: they would hold close() forever.
    for (const s of this.upgraded) s.destroy()
    // A keep-alive connection whose request finishes now goes idle: close it then, not after
    // keepAliveTimeout (the client reconnects, to another node).
    const sweep = setInterval(() => this.server.closeIdleConnections(), 50)
    const timer = setTimeout(() => this.server.closeAllConnections(), graceMs)
    await closed
    clearInterval(sweep)
    clearTimeout(timer)
  }
}
