/**
 * `Db.dedicated()` on a real server: one `pg` client outside the pool, with
 * the view's search path, kept open and reopened with backoff after it drops.
 * Each statement text gets a name on first use, so the server parses and
 * plans it once per connection (a generic plan after five runs) instead of
 * on every call. Texts are the caller's fixed SQL, so the names stay few.
 */

import { createHash } from 'node:crypto'
import pg from 'pg'
import type { DedicatedConnection, QueryResult } from './port.js'
import { searchPathSql } from './port.js'
import { ReconnectBackoff } from './reconnect.js'

export interface DedicatedOptions {
  url: string
  schema: string
  statementTimeoutMs?: number
  onError?: (err: Error) => void
}

export class PgDedicated implements DedicatedConnection {
  private client: pg.Client | undefined
  private connecting: Promise<pg.Client> | undefined
  private running = 0
  private closed = false
  private readonly reconnect = new ReconnectBackoff({
    wanted: () => !this.closed && !this.client,
    connect: () => this.connection(),
    onError: (err) => this.o.onError?.(err),
  })
  private readonly names = new Map<string, string>()

  constructor(private readonly o: DedicatedOptions) {}

  /** Open the connection (throws when the server cannot be reached). */
  async open(): Promise<this> {
    await this.connection()
    return this
  }

  get busy(): boolean {
    return this.running > 0 || this.client === undefined
  }

  async query<R>(text: string, params?: readonly unknown[]): Promise<QueryResult<R>> {
    this.running++
    try {
      const client = await this.connection()
      const res = await client.query({
        name: this.nameOf(text),
        text,
        values: params as unknown[] | undefined,
      })
      return { rows: res.rows as R[], rowCount: res.rowCount ?? res.rows.length }
    } finally {
      this.running--
    }
  }

  async exec(sql: string): Promise<void> {
    this.running++
    try {
      await (await this.connection()).query(sql)
    } finally {
      this.running--
    }
  }

  async close(): Promise<void> {
    this.closed = true
    const client = this.client ?? (await this.connecting?.catch(() => undefined))
    this.client = undefined
    await client?.end().catch(() => {})
  }

  private nameOf(text: string): string {
    let name = this.names.get(text)
    if (!name) {
      name = `bp_${createHash('sha1').update(text).digest('hex').slice(0, 20)}`
      this.names.set(text, name)
    }
    return name
  }

  private connection(): Promise<pg.Client> {
    if (this.client) return Promise.resolve(this.client)
    if (this.closed) return Promise.reject(new Error('the dedicated connection is closed'))
    this.connecting ??= this.connect().finally(() => {
      this.connecting = undefined
    })
    return this.connecting
  }

  private async connect(): Promise<pg.Client> {
    const client = new pg.Client({
      connectionString: this.o.url,
      keepAlive: true,
      ...(this.o.statementTimeoutMs ? { statement_timeout: this.o.statementTimeoutMs } : {}),
    })
    client.on('error', (err) => this.o.onError?.(err))
    try {
      await client.connect()
      await client.query(searchPathSql(this.o.schema))
    } catch (err) {
      await client.end().catch(() => {})
      throw err
    }
    if (this.closed) {
      await client.end().catch(() => {})
      throw new Error('the dedicated connection is closed')
    }
    // Once it was up, a drop is repaired in the background; callers use the pool meanwhile.
    client.on('end', () => {
      if (this.client === client) this.client = undefined
      if (!this.closed) this.reconnect.schedule()
    })
    this.client = client
    this.reconnect.reset()
    return client
  }
}
