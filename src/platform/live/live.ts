/**
 * The live streams of one process: every declared stream kind with its feeds,
 * presence, the endpoints that carry them, and the token checks the platform
 * endpoint accepts. `buildApp` makes one and gives each system its view of it
 * (`ctx.live`); a system declares its kinds and publishes committed events,
 * and may mount an endpoint of its own.
 */
import type { Bus } from '../bus/port.js'
import { AppError } from '../errors.js'
import type { Logger } from '../telemetry/logger.js'
import { type EndpointOptions, LiveEndpoint } from './endpoint.js'
import { StreamKind } from './kind.js'
import { LEGACY_PRESENCE_SUBJECT } from './legacy-subjects.js'
import { Presence } from './presence.js'
import type { LiveEvent, Principal, StreamKindSpec } from './stream-kind.js'

export interface LiveOptions {
  bus: Bus
  log: Logger
  /** This node's name (presence, the session registry); default: random. */
  node?: string
  /** How often this node announces its users; a node is gone after three missed announcements. */
  presenceIntervalMs: number
  /** Also speak the Bus subjects of chat before this library, for a rolling deploy (legacy-subjects.ts). */
  legacySubjects?: boolean
}

/** Verifies a token as one system's issuer would; throws an AppError for a token it does not accept. */
export type TokenCheck = (token: string) => Promise<Principal>

/** What a system sees of the live streams (`ctx.live`). */
export interface SystemLive {
  /** Declare stream kind `<system>.<kind>` (a chat room, a board, an inbox); returns what events are published through. */
  stream<E extends LiveEvent>(kind: string, spec: StreamKindSpec<E>): StreamKind<E>
  /** An endpoint of the system's own (its own protocol's naming and codes), mounted by its routes. */
  endpoint(opts: EndpointOptions): LiveEndpoint
  /** Let the platform endpoint accept this system's tokens (tried in the order systems registered). */
  acceptTokens(check: TokenCheck): void
  /** Close, on this node and every endpoint, the connections whose token `revokes` says is revoked. */
  revoke(revokes: (principal: Principal | undefined, user: string) => boolean): number
  /** Presence of users on every node (online, away, offline). */
  readonly presence: Presence
}

export class Live {
  readonly presence: Presence
  private readonly kinds = new Map<string, StreamKind>()
  readonly endpoints: LiveEndpoint[] = []
  private readonly checks: TokenCheck[] = []
  private started = false

  constructor(private readonly opts: LiveOptions) {
    this.presence = new Presence(
      opts.bus,
      opts.log,
      opts.presenceIntervalMs,
      opts.node,
      opts.legacySubjects ? LEGACY_PRESENCE_SUBJECT : undefined,
    )
  }

  /** The declared kind `name` (`chat.room`), if any. */
  kind(name: string): StreamKind | undefined {
    return this.kinds.get(name)
  }

  /** Every declared kind. */
  allKinds(): StreamKind[] {
    return [...this.kinds.values()]
  }

  declare<E extends LiveEvent>(system: string, kind: string, spec: StreamKindSpec<E>): StreamKind<E> {
    const name = `${system}.${kind}`
    if (this.kinds.has(name)) throw new Error(`stream kind ${name} is declared twice`)
    const declared = new StreamKind(
      name,
      spec,
      this.opts.bus,
      this.opts.log.child({ kind: name }),
      this.opts.legacySubjects,
    )
    this.kinds.set(name, declared as unknown as StreamKind)
    if (this.started) void declared.fanout.start()
    return declared
  }

  endpoint(opts: EndpointOptions): LiveEndpoint {
    const e = new LiveEndpoint(opts, {
      bus: this.opts.bus,
      log: this.opts.log,
      presence: this.presence,
      fanoutOf: (k) => (k as StreamKind).fanout,
      kinds: () => this.kinds.values(),
    })
    this.endpoints.push(e)
    return e
  }

  acceptTokens(check: TokenCheck): void {
    this.checks.push(check)
  }

  /**
   * Check `token` with each system's check in turn: the first that accepts it names the principal.
   * Refused by all: the first refusal (each speaks its own system's code), or `none` when no
   * system accepts tokens here.
   */
  async authenticate(token: string | undefined, none: () => Error): Promise<Principal> {
    if (this.checks.length === 0 || !token) throw none()
    let first: unknown
    for (const check of this.checks) {
      try {
        return await check(token)
      } catch (err) {
        if (!(err instanceof AppError) || err.status !== 401) throw err
        first ??= err
      }
    }
    throw first
  }

  revoke(revokes: (principal: Principal | undefined, user: string) => boolean): number {
    let n = 0
    for (const e of this.endpoints) n += e.hub.revoke(revokes)
    return n
  }

  /** The view `system` gets in its context. */
  forSystem(system: string): SystemLive {
    return {
      stream: (kind, spec) => this.declare(system, kind, spec),
      endpoint: (o) => this.endpoint(o),
      acceptTokens: (check) => this.acceptTokens(check),
      revoke: (r) => this.revoke(r),
      presence: this.presence,
    }
  }

  /** Subscribe every kind's feeds to the Bus and start presence. */
  async start(): Promise<void> {
    this.started = true
    for (const k of this.kinds.values()) await k.fanout.start()
    await this.presence.start()
  }

  async stop(): Promise<void> {
    this.started = false
    await this.presence.stop()
    for (const k of this.kinds.values()) await k.fanout.stop()
  }
}
