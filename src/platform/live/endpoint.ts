/**
 * An endpoint: the three transports (WebSocket, SSE + POST, long polling + POST) mounted under a
 * prefix, speaking the one envelope, with a naming of streams (addressing.ts), an error catalog
 * (codes under its prefix), a token check, and its limits. The platform's endpoint (`/live`)
 * carries every declared kind; a system may mount one of its own that keeps the protocol its
 * clients already speak (chat's `/chat/ws`, `"room": 5`, `CHAT_*` codes). Both share this node's
 * feeds and presence, so a stream read on one is the same stream read on the other.
 */
import type { RouteOptions } from 'fastify'
import type { Bus } from '../bus/port.js'
import type { Db } from '../db/port.js'
import type { TypedApp } from '../http/types.js'
import type { Logger } from '../telemetry/logger.js'
import type { Addressing } from './addressing.js'
import { type LiveErrors, liveErrors } from './errors.js'
import type { Fanout } from './fanout.js'
import { FrameHandler } from './frames.js'
import { Hub } from './hub.js'
import type { Presence } from './presence.js'
import type { ParseContext } from './protocol.js'
import { SessionRegistry } from './session-registry.js'
import { SessionRelay } from './session-relay.js'
import { SharedSessions } from './session-share.js'
import { Sessions } from './sessions.js'
import { sessionRoutes } from './sessions.routes.js'
import { fieldReader, type Principal, type StreamKindHandle } from './stream-kind.js'
import { wsRoutes } from './ws.routes.js'

export interface EndpointOptions {
  /** `chat`, `live`: the SSE banner and the Bus subject of the session relay (`<name>.sessions.relay`). */
  name: string
  /** Error codes are `<codePrefix>_<CODE>`: `CHAT`, `LIVE`. */
  codePrefix: string
  /** How frames name streams; built with this endpoint's errors. */
  addressing: Addressing
  /** Verify a bearer token: its principal, or a 401 AppError. */
  authenticate(token: string | undefined): Promise<Principal>
  /** Where the endpoint's session registry (`http_sessions`) lives. */
  db: Db
  /** What `hello` says under `limits`. */
  limits: Record<string, number>
  maxFrameBytes: number
  maxConnectionsPerUser: number
  sendBufferBytes: number
  pingIntervalMs: number
  longPollMs: number
  sessionIdleMs: number
  /** An onRoute hook for its HTTP routes (documents their security scheme in the OpenAPI document). */
  onRoute?: (route: RouteOptions) => void
}

/** What the endpoint needs of the process-wide Live. */
export interface EndpointContext {
  bus: Bus
  log: Logger
  presence: Presence
  fanoutOf(kind: StreamKindHandle): Fanout
  kinds(): Iterable<StreamKindHandle>
}

export class LiveEndpoint {
  readonly errors: LiveErrors
  readonly hub: Hub
  readonly frames: FrameHandler
  readonly sessions: Sessions
  readonly shared: SharedSessions
  private kindFrameTypes: Set<string> | undefined
  private readonly parse: ParseContext

  constructor(
    readonly opts: EndpointOptions,
    ctx: EndpointContext,
  ) {
    const a = opts.addressing
    this.errors = liveErrors(opts.codePrefix, a.noun)
    const parse: ParseContext = {
      errors: this.errors,
      addressing: a,
      fields: fieldReader(this.errors),
      kindFrame: (type) => {
        // Known once the first frame comes: systems declare their kinds while the app is built.
        this.kindFrameTypes ??= new Set(
          [...(a.kind ? [a.kind] : ctx.kinds())].flatMap((k) => Object.keys(k.spec.frames ?? {})),
        )
        return this.kindFrameTypes.has(type)
      },
    }
    this.frames = new FrameHandler(parse, ctx.presence, ctx.log, opts.maxFrameBytes, (t) =>
      opts.authenticate(t),
    )
    this.hub = new Hub(this.frames, ctx.presence, a, this.errors, ctx.fanoutOf, {
      maxConnectionsPerUser: opts.maxConnectionsPerUser,
      sendBufferBytes: opts.sendBufferBytes,
      pingIntervalMs: opts.pingIntervalMs,
      limits: opts.limits,
    })
    this.sessions = new Sessions(opts.sessionIdleMs)
    const node = ctx.presence.node
    this.shared = new SharedSessions(
      new SessionRegistry(opts.db),
      this.sessions,
      this.hub,
      new SessionRelay(ctx.bus, this.hub, this.sessions, node, ctx.log, `${opts.name}.sessions.relay`),
      node,
      opts.sessionIdleMs,
      ctx.log,
    )
    this.parse = parse
  }

  /** Register the transports in `app` (the endpoint's prefix): `/ws`, `/sse`, `/sessions/...`. */
  async routes(app: TypedApp): Promise<void> {
    // Before the server closes: tell every client to reconnect (SSE and long polls would hold the drain).
    app.addHook('preClose', async () => this.shuttingDown())
    await wsRoutes(app, {
      hub: this.hub,
      authenticate: (t) => this.opts.authenticate(t),
      parse: this.parse,
      maxFrameBytes: this.opts.maxFrameBytes,
      summary: `WebSocket transport of the ${this.opts.name} live protocol (v1; v2 with ?v=2)`,
    })
    await app.register(async (api) => {
      if (this.opts.onRoute) api.addHook('onRoute', this.opts.onRoute)
      sessionRoutes(api, {
        hub: this.hub,
        sessions: this.sessions,
        shared: this.shared,
        longPollMs: this.opts.longPollMs,
        authenticate: (t) => this.opts.authenticate(t),
        name: this.opts.name,
      })
    })
  }

  /** The server is closing: keep the registry rows (another node takes the sessions over), say `bye` to every client. */
  shuttingDown(): void {
    this.shared.shuttingDown()
    this.sessions.stop()
    this.hub.closeAll()
  }

  /** The endpoint's background work: the session registry's sweep and the relay's subscription. */
  get worker(): { name: string; start(): Promise<void>; stop(): Promise<void> } {
    return {
      name: `${this.opts.name}:live-sessions`,
      start: () => this.shared.start(),
      stop: () => this.shared.stop(),
    }
  }
}
