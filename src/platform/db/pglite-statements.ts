/**
 * Named prepared statements for PGlite: each query text is parsed and planned
 * once per schema, then every call is one trip into the WASM backend (Bind,
 * Describe, Execute, Sync in one buffer).
 *
 * Why: `PGlite.query()` parses the text again on every call and makes six
 * separate trips into WASM (Parse, Describe, Bind, Describe, Execute, Sync),
 * each an awaited call with its own protocol parse. On a primary-key lookup
 * that overhead is about two thirds of the call (measured: ~220 µs through
 * `query()`, ~65 µs here); node-postgres users get the same effect from named
 * statements against a real server.
 *
 * Results go through PGlite's own `parseResults` with the instance's parsers,
 * and parameters through its serializers chosen by the parameter types the
 * server described, so rows and errors look exactly as `query()` returns them.
 * NOTIFY messages that arrive with a result still reach `listen` callbacks
 * (PGlite dispatches them while it parses the stream).
 */
import { type PGlite, parse, protocol, type Results } from '@electric-sql/pglite'
import { mayCommitAsync } from './pglite-durability.js'

const serialize = protocol.serialize

/** Statements kept per PGlite instance; past it the least recently prepared one is closed. */
const MAX_STATEMENTS = 256

/**
 * SQLSTATEs after which a cached statement is prepared again: its result type changed under it
 * (0A000, "cached plan must not change result type", after DDL) or the backend no longer knows it
 * (26000, after a DEALLOCATE ALL or DISCARD ALL in user SQL).
 */
const STALE_CODES = new Set(['0A000', '26000'])

interface Prepared {
  name: string
  paramTypes: number[]
  /** The text may turn asynchronous commit on: decided once, when prepared, not on every call. */
  mayCommitAsync: boolean
}

function concat(parts: Uint8Array[]): Uint8Array {
  let n = 0
  for (const p of parts) n += p.length
  const out = new Uint8Array(n)
  let o = 0
  for (const p of parts) {
    out.set(p, o)
    o += p.length
  }
  return out
}

/** The prepared statements of one PGlite instance. Callers serialize access (the adapter's mutex). */
export class PgliteStatements {
  private readonly byKey = new Map<string, Prepared>()
  private seq = 0
  /** Statements evicted from the map, closed on the next trip into the backend. */
  private toClose: string[] = []
  /** A statement that may turn asynchronous commit on ran since the last `takeAsyncCommit()`. */
  private asyncCommitRan = false

  constructor(private readonly pg: PGlite) {}

  /**
   * Run `text` with `params` as a prepared statement of `schema` (a statement prepared under one
   * search path is never run under another: PostgreSQL would re-parse it on every switch).
   */
  async query<R>(schema: string, text: string, params: readonly unknown[] = []): Promise<Results<R>> {
    const key = `${schema}\u0000${text}`
    let st = this.byKey.get(key)
    const fresh = st === undefined
    st ??= await this.prepare(key, text)
    if (st.mayCommitAsync) this.asyncCommitRan = true
    try {
      return await this.execute<R>(st, params)
    } catch (err) {
      const code = (err as { code?: string }).code
      // Stale only if it was cached before this call: a statement prepared just now is as fresh as it gets.
      if (fresh || code === undefined || !STALE_CODES.has(code)) throw withQuery(err, text)
      this.forget(key)
      if (this.pg.isInTransaction()) throw withQuery(err, text) // the transaction is aborted: no retry inside it
      return this.execute<R>(await this.prepare(key, text), params).catch((e) => {
        throw withQuery(e, text)
      })
    }
  }

  /**
   * Whether a statement that may turn asynchronous commit on ran since the last call (which
   * resets it): the adapter then flushes the WAL (pglite-durability.ts) without reading the text
   * of every query again.
   */
  takeAsyncCommit(): boolean {
    const ran = this.asyncCommitRan
    this.asyncCommitRan = false
    return ran
  }

  /** Forget every statement (the backend forgot them too, or is going away). */
  clear(): void {
    this.byKey.clear()
    this.toClose = []
  }

  private async prepare(key: string, text: string): Promise<Prepared> {
    const name = `bp_${++this.seq}`
    // Make room first, so the oldest statement is closed in the same trip that prepares this one.
    if (this.byKey.size >= MAX_STATEMENTS) this.forget(this.byKey.keys().next().value as string)
    const closing = this.toClose.map((n) => serialize.close({ type: 'S', name: n }))
    this.toClose = []
    const messages = await this.pg
      .execProtocolStream(
        concat([
          ...closing,
          serialize.parse({ name, text }),
          serialize.describe({ type: 'S', name }),
          serialize.sync(),
        ]),
        { syncToFs: false },
      )
      .catch((err) => {
        throw withQuery(err, text)
      })
    const st: Prepared = {
      name,
      paramTypes: parse.parseDescribeStatementResults(messages),
      mayCommitAsync: mayCommitAsync(text),
    }
    this.byKey.set(key, st)
    return st
  }

  private async execute<R>(st: Prepared, params: readonly unknown[]): Promise<Results<R>> {
    const { serializers, parsers } = this.pg
    const values = params.map((param, i) => {
      if (param === null || param === undefined) return null
      const ser = serializers[st.paramTypes[i]!]
      return ser ? ser(param) : String(param)
    })
    const messages = await this.pg.execProtocolStream(
      concat([
        serialize.bind({ statement: st.name, values }),
        serialize.describe({ type: 'P' }),
        serialize.execute({}),
        serialize.sync(),
      ]),
    )
    return parse.parseResults(messages, parsers)[0] as Results<R>
  }

  private forget(key: string): void {
    const st = this.byKey.get(key)
    if (!st) return
    this.byKey.delete(key)
    this.toClose.push(st.name)
  }
}

/** Name the query on a database error, as `PGlite.query()` does. */
function withQuery(err: unknown, text: string): unknown {
  if (err && typeof err === 'object' && !('query' in err)) Object.assign(err, { query: text })
  return err
}
