/** What the board's routes share: schemas of ids and texts, the caller, command options from headers, the answer shape. */
import { createHash } from 'node:crypto'
import { Type } from '@sinclair/typebox'
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { CommandHandler, CommandOptions, CommandResult } from './commands.js'
import type { Limits } from './domain/decide.js'
import { BoardError } from './errors.js'
import type { Projector } from './projection/projector.js'
import type { BoardQueries } from './projection/queries.js'
import { type BoardTokens, type Caller, tokenOf } from './tokens.js'

declare module 'fastify' {
  interface FastifyRequest {
    /** The board user a bearer token named (board routes behind the auth hook). */
    boardCaller?: Caller
  }
}

export interface RouteDeps {
  commands: CommandHandler
  queries: BoardQueries
  tokens: BoardTokens
  projector: Projector
  limits: Limits
  readWaitMs: number
  devTokens: boolean
  /** Signal to the board's viewers that `user` has `cardId` open (presence; 404 for non-members). */
  viewing(board: string, user: string, cardId: string | null): Promise<void>
}

/** Board, list, card and item ids: what the server generates (UUIDs), and a bound on what a client sends. */
export const Id = Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$', description: 'an id the server returned' })
export const UserName = Type.String({
  pattern: '^[A-Za-z0-9_.@-]{1,64}$',
  description: '1-64 of A-Z a-z 0-9 _ . @ -',
})
export const Name = Type.String({ minLength: 1, maxLength: 200 })
export const Title = Type.String({ minLength: 1, maxLength: 500 })
export const Label = Type.String({ minLength: 1, maxLength: 50 })
export const CommentText = Type.String({ minLength: 1, maxLength: 10_000 })
export const Written = Type.Object({
  id: Type.Optional(Type.String()),
  version: Type.Integer({ description: 'the board’s version after the command' }),
  position: Type.Integer({
    description: 'the global log position of its last event (0: nothing was appended)',
  }),
})

/** The authenticated caller's user name. */
export function userOf(request: FastifyRequest): string {
  return request.boardCaller!.user
}

/** Resolve the bearer token of every API route (anonymous ones are registered outside). */
export function authHook(tokens: BoardTokens) {
  return async function boardAuth(request: FastifyRequest): Promise<void> {
    request.boardCaller = await tokens.verify(tokenOf(request.headers.authorization, request.query))
  }
}

/** `If-Match` (the board version the client read) and `Idempotency-Key` of a command request. */
export function commandOptions(request: FastifyRequest, fingerprint: unknown): CommandOptions {
  const o: CommandOptions = { fingerprint: `${request.routeOptions.url} ${JSON.stringify(fingerprint)}` }
  const ifMatch = request.headers['if-match']
  if (ifMatch !== undefined) {
    const m = /^\s*(?:W\/)?"?(\d{1,15})"?\s*$/.exec(String(ifMatch))
    if (!m) throw BoardError.badIfMatch()
    o.expectedVersion = Number(m[1])
  }
  const key = request.headers['idempotency-key']
  if (key !== undefined) {
    const k = String(key)
    if (!/^[\x21-\x7e]{1,200}$/.test(k))
      throw new BoardError(
        'BOARD_INVALID_IDEMPOTENCY_KEY',
        400,
        'Idempotency-Key must be 1-200 visible ASCII characters',
      )
    o.idempotencyKey = k
  }
  return o
}

/** The answer to a command: 201 when it created something, else 200; the version as ETag. */
export function written(reply: FastifyReply, r: CommandResult, created: boolean) {
  reply.header('etag', `"${r.version}"`)
  reply.code(created ? 201 : 200)
  return { ...(r.result.id !== undefined && { id: r.result.id }), version: r.version, position: r.position }
}

/** Wait until the views show `board` at `version` at least (read-your-writes), or 503. */
export async function waitForVersion(
  d: RouteDeps,
  board: string,
  version: number | undefined,
): Promise<void> {
  if (version === undefined) return
  const deadline = Date.now() + d.readWaitMs
  for (;;) {
    if ((await d.queries.versionOf(board)) >= version) return
    const left = deadline - Date.now()
    if (left <= 0) throw BoardError.projectionBehind(board, version)
    // Woken by this process's projector; another process's is seen at the next look.
    await d.projector.applyOrTimeout(Math.min(left, 50))
  }
}

/** The board a list or card belongs to, or the 404 for it. */
export async function boardOfEntity(d: RouteDeps, kind: 'list' | 'card', id: string): Promise<string> {
  const board = await d.commands.boardOf(kind, id)
  if (!board) throw kind === 'list' ? BoardError.listNotFound(id) : BoardError.cardNotFound(id)
  return board
}

/** A UUID derived from a string: the same idempotency key always names the same new entity. */
export function uuidFrom(s: string): string {
  const h = createHash('sha256').update(s).digest('hex')
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`
}
