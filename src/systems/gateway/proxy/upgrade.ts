/**
 * Protocol upgrades (WebSocket): the same guard, routing and plugins' access phase as a plain
 * request (so key-auth, ip-restriction and rate-limiting hold for a socket too), then one upstream
 * connection per client connection: the upstream's 101 is relayed and bytes are piped both ways
 * untouched until either side closes. An upstream that refuses the upgrade has its answer relayed.
 * Upgraded sockets are tracked so a shutdown can close them after in-flight requests drain.
 */
import { randomUUID } from 'node:crypto'
import { request as httpRequest, type IncomingMessage } from 'node:http'
import type { Socket } from 'node:net'
import { record } from '../balancer/health.js'
import type { RequestState } from '../plugins/types.js'
import { upstreamPath } from '../router/router.js'
import { runAccess } from './access.js'
import { MESSAGES, SERVER_HEADER } from './errors.js'
import type { ProxyDeps } from './handler.js'
import { endToEnd, setForwarded } from './headers.js'
import { guardRequest } from './request-guard.js'

const REASONS: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
}

/** A Kong-shaped error written on a socket that never became an HTTP response object. */
function refuse(
  socket: Socket,
  status: number,
  message: string,
  id: string,
  headers: Record<string, string> = {},
): void {
  if (!socket.writable) {
    socket.destroy()
    return
  }
  const body = JSON.stringify({ message, request_id: id })
  const extra = Object.entries(headers)
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('')
  socket.end(
    `HTTP/1.1 ${status} ${REASONS[status] ?? 'Error'}\r\nserver: ${SERVER_HEADER}\r\n${extra}` +
      `content-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\n` +
      `x-kong-request-id: ${id}\r\nconnection: close\r\n\r\n${body}`,
  )
}

const FRAMING = new Set(['transfer-encoding', 'connection', 'keep-alive', 'content-length'])

/** A response head; `relay` drops the upstream's framing (the body is then delimited by the close). */
function head(
  status: number,
  message: string | undefined,
  raw: string[],
  add: Record<string, string>,
  relay = false,
): string {
  let out = `HTTP/1.1 ${status} ${message ?? ''}\r\n`
  for (let i = 0; i < raw.length; i += 2)
    if (!relay || !FRAMING.has(raw[i]!.toLowerCase())) out += `${raw[i]}: ${raw[i + 1]}\r\n`
  for (const [k, v] of Object.entries(add)) out += `${k}: ${v}\r\n`
  return `${out}\r\n`
}

export function upgradeHandler(deps: ProxyDeps, open: Set<Socket>) {
  return async (req: IncomingMessage, socket: Socket, early: Buffer): Promise<void> => {
    const started = performance.now()
    const id = randomUUID().replaceAll('-', '')
    socket.on('error', () => socket.destroy())
    const g = guardRequest(req)
    if (!g.ok) return refuse(socket, g.status, `${MESSAGES.badRequest}: ${g.reason}`, id)
    const snap = deps.snapshot()
    const hostHeader = req.headers.host ?? ''
    const hm = /^(.*?)(?::(\d+))?$/.exec(hostHeader.toLowerCase())!
    const match = snap.router.match({
      method: req.method ?? 'GET',
      host: hm[1]!.replace(/\.$/, ''),
      port: hm[2] ? Number(hm[2]) : 80,
      path: g.path,
      headers: req.headers,
    })
    if (!match) return refuse(socket, 404, MESSAGES.noRoute, id)
    const { route, service } = match
    const ws = snap.workspaceOf(route.id)
    const done = (status: number) =>
      deps.observe(ws.name, route.id, service?.id ?? '', status, performance.now() - started)
    const remote = req.socket.remoteAddress ?? ''
    const clientIp = deps.trusted.clientIp(remote, req.headers['x-forwarded-for'])
    const upstreamHeaders = endToEnd(req.headers)
    const st: RequestState = {
      req,
      route,
      service,
      clientIp,
      path: g.path,
      query: g.query,
      upstreamHeaders,
      responseHeaders: {},
      consumer: undefined,
      credential: undefined,
      body: undefined,
      lookup: ws.lookup,
      workspace: ws.name,
    }
    const { exit } = await runAccess(ws, st, deps.log)
    if (exit) {
      if (exit === 'error') refuse(socket, 500, MESSAGES.unexpected, id)
      else refuse(socket, exit.status, exit.message ?? '', id, { ...st.responseHeaders, ...exit.headers })
      return done(exit === 'error' ? 500 : exit.status)
    }
    if (!service) {
      refuse(socket, 503, MESSAGES.noService, id)
      return done(503)
    }
    const balancer = snap.balancers.get(service.id)!
    const pick = balancer.pick(
      {
        consumerId: st.consumer?.id,
        ip: clientIp,
        header: (n) => String(req.headers[n] ?? '') || undefined,
        cookie: () => undefined,
        path: g.path,
        query: (n) => new URLSearchParams(st.query).get(n) ?? undefined,
      },
      new Set(),
    )
    if (!pick) {
      refuse(socket, 503, MESSAGES.noPeer, id)
      return done(503)
    }
    const t = pick.target
    setForwarded(upstreamHeaders, {
      remote,
      clientIp,
      trusted: deps.trusted.trusts(remote),
      host: hostHeader,
      port: deps.port(),
      path: g.path,
      prefix: route.strip_path && match.matched ? match.matched : undefined,
    })
    const path = upstreamPath(route, service, g.path, match.matched)
    const passive = balancer.upstream?.healthchecks.passive
    const up = httpRequest({
      host: t.host,
      port: t.port,
      method: req.method,
      path: st.query ? `${path}?${st.query}` : path,
      headers: {
        ...(upstreamHeaders as Record<string, string>),
        host: balancer.upstream?.host_header ?? (route.preserve_host ? hostHeader : `${t.host}:${t.port}`),
        connection: 'Upgrade',
        upgrade: String(req.headers.upgrade),
      },
      timeout: service.connect_timeout,
    })
    up.on('timeout', () => up.destroy(Object.assign(new Error('connect timeout'), { code: 'ETIMEDOUT' })))
    up.on('error', (err: NodeJS.ErrnoException) => {
      const timedOut = err.code === 'ETIMEDOUT'
      if (passive) record(t, timedOut ? { kind: 'timeout' } : { kind: 'tcp' }, passive, deps.health)
      refuse(socket, timedOut ? 504 : 502, timedOut ? MESSAGES.timeout : MESSAGES.badGateway, id)
      done(timedOut ? 504 : 502)
    })
    // The upstream did not switch protocols: relay its answer and close.
    up.on('response', (res) => {
      socket.write(
        head(
          res.statusCode ?? 502,
          res.statusMessage,
          res.rawHeaders,
          { 'x-kong-request-id': id, connection: 'close' },
          true,
        ),
      )
      res.pipe(socket)
      done(res.statusCode ?? 502)
    })
    up.on('upgrade', (res, upSocket, upEarly) => {
      up.setTimeout(0)
      if (passive) record(t, { kind: 'http', status: 101 }, passive, deps.health)
      t.active++
      open.add(socket)
      socket.write(
        head(101, res.statusMessage, res.rawHeaders, { ...st.responseHeaders, 'x-kong-request-id': id }),
      )
      if (upEarly.length) socket.write(upEarly)
      if (early.length) upSocket.write(early)
      upSocket.pipe(socket)
      socket.pipe(upSocket)
      let closed = false
      const close = () => {
        if (closed) return
        closed = true
        t.active--
        open.delete(socket)
        socket.destroy()
        upSocket.destroy()
      }
      upSocket.on('error', close)
      upSocket.on('close', close)
      socket.on('close', close)
      done(101)
    })
    up.end()
  }
}
