/**
 * The plugin contract. A plugin has Kong's name, priority (higher runs first, as in Kong) and config
 * schema; each configured plugin entity becomes an instance when a config snapshot is built, so a
 * request does no parsing. `access` runs before the upstream call and may end the request (an Exit,
 * rendered as Kong renders it: `{"message": ...}`); `response` may add response headers.
 */
import type { IncomingMessage } from 'node:http'
import type { Redis } from 'ioredis'
import type { MemoryState } from '../../../platform/rate-limit/index.js'
import type { Logger } from '../../../platform/telemetry/logger.js'
import type { Schema } from '../config/fields.js'
import type { Consumer, Json, Plugin, Route, Service } from '../config/types.js'

export interface Exit {
  status: number
  /** Kong's body: `{"message": message}`; `body` replaces it when set (jwt's claim errors). */
  message?: string
  body?: Json
  headers?: Record<string, string>
}

/** What a plugin reads and writes while a request passes. */
export interface RequestState {
  readonly req: IncomingMessage
  readonly route: Route
  readonly service: Service | undefined
  readonly clientIp: string
  readonly path: string
  /** The raw query string without `?` ('' when none). */
  query: string
  /** Headers sent upstream; plugins add and remove. */
  readonly upstreamHeaders: Record<string, string | string[] | undefined>
  /** Headers added to the client's response (and to an Exit). */
  readonly responseHeaders: Record<string, string>
  consumer: Consumer | undefined
  credential: { id: string } | undefined
  /** A body a plugin read whole (request-size-limiting on a chunked body); streamed otherwise. */
  body: Buffer | undefined
  readonly lookup: CredentialLookup
  /** The matched route's workspace. */
  readonly workspace: string
}

export interface CredentialLookup {
  consumer(idOrName: string): Consumer | undefined
  keyauth(key: string): { id: string; consumer: string } | undefined
  jwtSecret(key: string): import('../config/types.js').JwtSecret | undefined
}

export interface PluginInstance {
  readonly entity: Plugin
  access?(state: RequestState): Exit | undefined | Promise<Exit | undefined>
  response?(state: RequestState, headers: Record<string, string | string[] | undefined>): void
}

export interface PluginDeps {
  /** The workspace the plugin entity belongs to (its counters and caches are that workspace's). */
  workspace: string
  redis: Redis | undefined
  /** Memory rate-limit state shared across reloads, per window length. */
  memoryState(periodMs: number): MemoryState
  log: Logger
}

export interface PluginDefinition {
  readonly name: string
  readonly priority: number
  readonly schema: Schema
  /** Checks across fields a schema cannot express; throws ConfigViolation. */
  check?(config: Json, path: string): void
  create(entity: Plugin, deps: PluginDeps): PluginInstance
}
