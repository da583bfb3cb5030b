/**
 * The scaled adapter: a `pg` Pool shared by every system of the process.
 * Each pooled connection remembers the schema its search path points at;
 * a scoped view re-points it only when it differs, so one pool serves all
 * systems without a `SET` per query. LISTEN uses one dedicated connection
 * that reconnects with backoff and re-subscribes; `dedicated()` gives a hot
 * path a connection of its own (pg-dedicated.ts).
 */

import pg from 'pg'
import { PgDedicated } from './pg-dedicated.js'
import {
  assertIdent,
  type Db,
  type Queryable,
  type QueryResult,
  quoteIdent,
  searchPathSql,
  type Unlisten,
} from './port.js'
import { ReconnectBackoff } from './reconnect.js'

const SCHEMA = Symbol('schema')
type Client = pg.PoolClient & { [SCHEMA]?: string }

export interface PgOptions {
  max?: number
  /**
   * How long a query may wait for a connection, queued behind others or connecting (default 10 s).
   * Past it the query fails, so a saturated pool sheds load instead of queueing without bound.
   */
  acquireTimeoutMs?: number
  /** Statement timeout in ms applied to every connection (0: none). */
  statementTimeoutMs?: number
  onError?: (err: Error) => void
}

interface Shared {
  pool: pg.Pool
  url: string
  listener: Listener
  closed: boolean
  opts: PgOptions
  /** Dedicated connections still open, closed with the pool. */
  dedicated: Set<PgDedicated>
}

/** Connect a pool to `url`; the first connection is opened to fail fast on a bad URL. */
export async function openPg(url: string, schema = 'public', opts: PgOptions = {}): Promise<Db> {
  const pool = new pg.Pool({
    connectionString: url,
    max: opts.max ?? 10,
    connectionTimeoutMillis: opts.acquireTimeoutMs ?? 10_000,
    idleTimeoutMillis: 30_000,
    ...(opts.statementTimeoutMs ? { statement_timeout: opts.statementTimeoutMs } : {}),
  })
  // An idle client losing its server emits on the pool; without a listener that would crash the process.
  pool.on('error', (err) => opts.onError?.(err))
  const client = await pool.connect()
  client.release()
  const shared: Shared = {
    pool,
    url,
    listener: new Listener(url, opts.onError),
    closed: false,
    opts,
    dedicated: new Set(),
  }
  return view(shared, schema)
}

async function checkout(shared: Shared, schema: string): Promise<Client> {
  if (shared.closed) throw new Error('database is closed')
  const client = (await shared.pool.connect()) as Client
  if (client[SCHEMA] !== schema) {
    try {
      await client.query(searchPathSql(schema))
    } catch (err) {
      client.release(err as Error)
      throw err
    }
    client[SCHEMA] = schema
  }
  return client
}

function toResult<R>(res: pg.QueryResult): QueryResult<R> {
  return { rows: res.rows as R[], rowCount: res.rowCount ?? res.rows.length }
}

/** Set when a connection must be destroyed rather than returned to the pool. */
interface ClientState {
  broken?: Error
}

/** Run `fn` between BEGIN and COMMIT on `client`; roll back and rethrow when it fails. */
async function transaction<T>(
  client: Client,
  fn: (tx: Queryable) => Promise<T>,
  state: ClientState,
): Promise<T> {
  const tx: Queryable = {
    query: async <R>(text: string, params?: readonly unknown[]) =>
      toResult<R>(await client.query(text, params as unknown[] | undefined)),
    exec: async (sql) => {
      await client.query(sql)
    },
  }
  try {
    await client.query('BEGIN')
    const out = await fn(tx)
    await client.query('COMMIT')
    return out
  } catch (err) {
    await client.query('ROLLBACK').catch((rollbackErr) => {
      // The connection is unusable; destroy it rather than return it to the pool.
      state.broken = rollbackErr as Error
    })
    throw err
  }
}

function view(shared: Shared, schema: string): Db {
  assertIdent('schema', schema)
  const db: Db = {
    kind: 'pg',
    schema,
    async query<R>(text: string, params?: readonly unknown[]) {
      const client = await checkout(shared, schema)
      try {
        return toResult<R>(await client.query(text, params as unknown[] | undefined))
      } finally {
        client.release()
      }
    },
    async exec(sql) {
      const client = await checkout(shared, schema)
      try {
        await client.query(sql)
      } finally {
        client.release()
      }
    },
    async tx(fn) {
      const client = await checkout(shared, schema)
      const state: ClientState = {}
      try {
        return await transaction(client, fn, state)
      } finally {
        client.release(state.broken)
      }
    },
    async exclusive(key, fn) {
      const client = await checkout(shared, schema)
      const state: ClientState = {}
      try {
        await client.query('SELECT pg_catalog.pg_advisory_lock($1::bigint)', [key])
        try {
          return await transaction(client, fn, state)
        } finally {
          await client.query('SELECT pg_catalog.pg_advisory_unlock($1::bigint)', [key]).catch((e) => {
            // A connection that cannot unlock must not go back to the pool holding the lock.
            state.broken = e as Error
          })
        }
      } finally {
        client.release(state.broken)
      }
    },
    listen: (channel, fn) => shared.listener.listen(channel, fn),
    async dedicated() {
      if (shared.closed) throw new Error('database is closed')
      const conn = await new PgDedicated({
        url: shared.url,
        schema,
        statementTimeoutMs: shared.opts.statementTimeoutMs,
        onError: shared.opts.onError,
      }).open()
      shared.dedicated.add(conn)
      const close = conn.close.bind(conn)
      conn.close = async () => {
        shared.dedicated.delete(conn)
        await close()
      }
      return conn
    },
    withSchema: (s) => view(shared, s),
    ping: async () => {
      await db.query('SELECT 1')
    },
    async close() {
      if (shared.closed) return
      shared.closed = true
      await shared.listener.close()
      await Promise.all([...shared.dedicated].map((c) => c.close()))
      await shared.pool.end()
    },
  }
  return db
}

/** One connection for every LISTEN of the process, re-established when it drops. */
class Listener {
  private client: pg.Client | undefined
  private connecting: Promise<pg.Client> | undefined
  private readonly handlers = new Map<string, Set<(payload: string) => void>>()
  private closed = false
  private readonly reconnect = new ReconnectBackoff({
    wanted: () => !this.closed && !this.client,
    connect: () => this.connection(),
    onError: (err) => this.onError?.(err),
  })

  constructor(
    private readonly url: string,
    private readonly onError?: (err: Error) => void,
  ) {}

  async listen(channel: string, fn: (payload: string) => void): Promise<Unlisten> {
    assertIdent('channel', channel)
    let set = this.handlers.get(channel)
    const first = !set
    if (!set) {
      set = new Set()
      this.handlers.set(channel, set)
    }
    set.add(fn)
    const client = await this.connection()
    if (first) await client.query(`LISTEN ${quoteIdent(channel)}`)
    return async () => {
      set.delete(fn)
      if (set.size === 0 && this.handlers.get(channel) === set) {
        this.handlers.delete(channel)
        if (this.client && !this.closed)
          await this.client.query(`UNLISTEN ${quoteIdent(channel)}`).catch(() => {})
      }
    }
  }

  private connection(): Promise<pg.Client> {
    if (this.client) return Promise.resolve(this.client)
    this.connecting ??= this.connect().finally(() => {
      this.connecting = undefined
    })
    return this.connecting
  }

  private async connect(): Promise<pg.Client> {
    const client = new pg.Client({ connectionString: this.url })
    client.on('notification', (n) => {
      for (const fn of this.handlers.get(n.channel) ?? []) fn(n.payload ?? '')
    })
    client.on('error', (err) => this.onError?.(err))
    client.on('end', () => {
      if (this.client === client) this.client = undefined
      if (!this.closed && this.handlers.size > 0) this.reconnect.schedule()
    })
    await client.connect()
    for (const channel of this.handlers.keys()) await client.query(`LISTEN ${quoteIdent(channel)}`)
    this.client = client
    this.reconnect.reset()
    return client
  }

  async close(): Promise<void> {
    this.closed = true
    const client = this.client ?? (await this.connecting?.catch(() => undefined))
    this.client = undefined
    await client?.end().catch(() => {})
  }
}
