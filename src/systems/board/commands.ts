/**
 * Running a command: load the board (cached state + snapshot + the events after it), decide,
 * append at the version it read, and on a version conflict load again and decide again (up to
 * `maxAttempts`), unless the caller pinned the version with `If-Match`, which gets a 409 at once.
 * An Idempotency-Key makes a retried command answer what the first one wrote, once.
 */
import { createHash } from 'node:crypto'
import { LRUCache } from 'lru-cache'
import type { Db, Queryable } from '../../platform/db/port.js'
import type { Logger } from '../../platform/telemetry/logger.js'
import type { Decision } from './domain/decide.js'
import { type BoardState, emptyBoard, fold } from './domain/state.js'
import { BoardError } from './errors.js'
import { type EventStore, VersionConflict } from './events/store.js'
import type { BoardEvent } from './events/types.js'

/** What a command's caller is told: ids it created, and where its events are. */
export interface CommandResult {
  result: Record<string, string>
  /** The board's version after the command (its last event's, or the version it found). */
  version: number
  /** The global position of its last event (0 when it appended nothing). */
  position: number
  /** The events it appended (empty for a no-op or an idempotent replay). */
  events: BoardEvent[]
}

export interface CommandOptions {
  /** `If-Match`: fail with 409 unless the board is at this version. */
  expectedVersion?: number | undefined
  /** `Idempotency-Key`, scoped to the actor. */
  idempotencyKey?: string | undefined
  /** What the command was (route + input), to refuse a key reused for another command. */
  fingerprint?: string
}

export interface CommandSettings {
  maxAttempts: number
  snapshotEvery: number
  cacheBoards: number
}

interface Counters {
  commands: number
  conflicts: number
  rejected: number
  replays: number
}

export class CommandHandler {
  private readonly cache: LRUCache<string, BoardState>
  readonly counters: Counters = { commands: 0, conflicts: 0, rejected: 0, replays: 0 }
  /** Called after each commit with the events it appended (live publish, projector wake-up). */
  onCommitted: (events: BoardEvent[]) => void = () => {}

  constructor(
    private readonly db: Db,
    private readonly store: EventStore,
    private readonly opts: CommandSettings,
    private readonly log: Logger,
  ) {
    this.cache = new LRUCache({ max: opts.cacheBoards })
  }

  /** The board's current state: cached or snapshot, plus every event after it. */
  async load(board: string): Promise<BoardState> {
    let base = this.cache.get(board)
    if (!base) {
      const { rows } = await this.db.query<{ state: BoardState }>(
        'SELECT state FROM snapshots WHERE board_id = $1',
        [board],
      )
      base = rows[0]?.state ?? emptyBoard(board)
    }
    const after = await this.store.readStream(board, base.version)
    const state = after.length ? fold(base, after) : base
    this.cache.set(board, state)
    return state
  }

  /** Run `decide` on `board` with the options' concurrency and idempotency rules. */
  async run(
    board: string,
    actor: string,
    decide: (s: BoardState) => Decision,
    o: CommandOptions = {},
  ): Promise<CommandResult> {
    const key = o.idempotencyKey === undefined ? undefined : `${actor}:${o.idempotencyKey}`
    if (key) {
      const earlier = await this.replay(key, o.fingerprint)
      if (earlier) return earlier
    }
    for (let attempt = 1; ; attempt++) {
      const state = await this.load(board)
      if (o.expectedVersion !== undefined && state.version !== o.expectedVersion) {
        this.counters.rejected++
        // A 404 (not a member) wins over a stale version: no version is told to a stranger.
        if (state.version === 0 || !state.members.includes(actor)) throw BoardError.notFound(board)
        throw BoardError.versionConflict(board, o.expectedVersion, state.version)
      }
      const decision = decide(state)
      if (decision.events.length === 0)
        return { result: decision.result, version: state.version, position: 0, events: [] }
      try {
        const events = await this.db.tx(async (tx) => {
          const written = await this.store.append(tx, board, state.version, actor, decision.events)
          await this.recordEntities(tx, board, written)
          if (key) await this.recordCommand(tx, key, board, written, decision.result, o.fingerprint)
          return written
        })
        this.counters.commands++
        this.cache.set(board, fold(state, events))
        await this.maybeSnapshot(board, state.version, events)
        this.onCommitted(events)
        const last = events.at(-1)!
        return { result: decision.result, version: last.version, position: last.position, events }
      } catch (err) {
        if (key && isUnique(err, 'commands_pkey')) {
          // The same key ran concurrently and won: answer what it wrote.
          const earlier = await this.replay(key, o.fingerprint)
          if (earlier) return earlier
        }
        if (!(err instanceof VersionConflict)) throw err
        this.counters.conflicts++
        this.cache.delete(board)
        if (o.expectedVersion !== undefined) {
          this.counters.rejected++
          throw BoardError.versionConflict(board, o.expectedVersion, (await this.load(board)).version)
        }
        if (attempt >= this.opts.maxAttempts) {
          this.counters.rejected++
          throw BoardError.contended(board, attempt)
        }
      }
    }
  }

  /** The stored answer of an earlier run of the same key, or undefined. */
  private async replay(key: string, fingerprint: string | undefined): Promise<CommandResult | undefined> {
    const { rows } = await this.db.query<{
      version: string
      position: string
      result: { result: Record<string, string>; fp: string }
    }>('SELECT version, position, result FROM commands WHERE command_id = $1', [key])
    const r = rows[0]
    if (!r) return undefined
    if (r.result.fp !== hash(fingerprint))
      throw BoardError.idempotencyMismatch(key.slice(key.indexOf(':') + 1))
    this.counters.replays++
    return { result: r.result.result, version: Number(r.version), position: Number(r.position), events: [] }
  }

  private async recordCommand(
    tx: Queryable,
    key: string,
    board: string,
    events: BoardEvent[],
    result: Record<string, string>,
    fp: string | undefined,
  ) {
    const last = events.at(-1)!
    await tx.query(
      'INSERT INTO commands (command_id, board_id, version, position, result) VALUES ($1, $2, $3, $4, $5)',
      [key, board, last.version, last.position, JSON.stringify({ result, fp: hash(fp) })],
    )
  }

  /** Lists and cards created by these events, so routes that name only them find their board. */
  private async recordEntities(tx: Queryable, board: string, events: BoardEvent[]) {
    const ids: string[] = []
    const kinds: string[] = []
    for (const e of events) {
      if (e.type === 'ListAdded') {
        ids.push(e.data.listId)
        kinds.push('list')
      }
      if (e.type === 'CardAdded') {
        ids.push(e.data.cardId)
        kinds.push('card')
      }
    }
    if (ids.length)
      await tx.query(
        'INSERT INTO entities (id, kind, board_id) SELECT i, k, $3 FROM unnest($1::text[], $2::text[]) AS x(i, k)',
        [ids, kinds, board],
      )
  }

  /** Every `snapshotEvery` versions, store the state (a cache: failure only costs speed). */
  private async maybeSnapshot(board: string, before: number, events: BoardEvent[]) {
    const every = this.opts.snapshotEvery
    const after = events.at(-1)!.version
    if (Math.floor(after / every) === Math.floor(before / every)) return
    const state = this.cache.get(board)
    if (!state || state.version !== after) return
    try {
      await this.db.query(
        `INSERT INTO snapshots (board_id, version, state) VALUES ($1, $2, $3)
         ON CONFLICT (board_id) DO UPDATE SET version = EXCLUDED.version, state = EXCLUDED.state, at = now()
          WHERE snapshots.version < EXCLUDED.version`,
        [board, after, JSON.stringify(state)],
      )
    } catch (err) {
      this.log.warn({ err, board }, 'board snapshot not written')
    }
  }

  /** The board a list or card belongs to, or undefined. */
  async boardOf(kind: 'list' | 'card', id: string): Promise<string | undefined> {
    const { rows } = await this.db.query<{ board_id: string }>(
      'SELECT board_id FROM entities WHERE id = $1 AND kind = $2',
      [id, kind],
    )
    return rows[0]?.board_id
  }
}

function hash(s: string | undefined): string {
  return createHash('sha256')
    .update(s ?? '')
    .digest('base64url')
}

function isUnique(err: unknown, constraint: string): boolean {
  const e = err as { code?: string; constraint?: string; message?: string }
  return e.code === '23505' && (e.constraint === constraint || !!e.message?.includes(constraint))
}
