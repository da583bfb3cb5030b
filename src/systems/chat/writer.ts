/**
 * Group commit of messages, across rooms. Sends queue per room; whenever the
 * database is free, one call to PostgreSQL (post_batch(): one round trip, one
 * transaction) writes what every room has queued. A lone message costs one
 * call, as before; under load a call carries many rooms' batches, which is what
 * pays on PGlite, where each call has a fixed cost larger than a small batch's
 * inserts (and PGlite runs one statement at a time anyway).
 *
 * Order: a room is in at most one call at a time, and a call's events are
 * handed to the fan-out before the room's next call starts, so each room's
 * offsets are published in order. A sender's messages enter its room's queue in
 * the order they arrive, so they keep that order.
 *
 * `concurrency` calls may run at once (each on different rooms): 1 for PGlite,
 * a few for a PostgreSQL pool, so one room waiting on another node's lock does
 * not hold every other room. Rooms are locked in ascending id order inside a
 * call, so concurrent calls (of this node or others) never deadlock.
 */
import { ChatError } from './errors.js'
import type { MessageStore, PostItem, PostResult, RoomBatch } from './messages.store.js'

/**
 * The most messages written in one call: bounds the latency of the first one (on PGlite a call
 * costs about 50 us per message on top of its fixed cost, so 256 messages hold it ~15 ms).
 */
const MAX_BATCH = 256
/** The most messages waiting for one room; past it a send is refused (429) rather than queued. */
const MAX_QUEUED = 20_000

interface Pending extends PostItem {
  resolve: (r: PostResult) => void
  reject: (err: unknown) => void
}

/** The queued messages of one room taken into a call. */
interface Taken extends RoomBatch {
  items: Pending[]
}

export class MessageWriter {
  /** Queued messages per room; a room is re-inserted at the end after each call (round robin). */
  private readonly queues = new Map<number, Pending[]>()
  /** Rooms in a call now. */
  private readonly busy = new Set<number>()
  private running = 0
  private scheduled = false
  /** Calls to PostgreSQL and messages written, for the metrics. */
  batches = 0
  written = 0
  /** Batches split because one of their items could not be stored (each split: one more call). */
  splits = 0

  constructor(
    private readonly store: MessageStore,
    /** Called with a call's new messages (grouped by room, each room in offset order), once committed. */
    private readonly onCommitted: (results: PostResult[]) => Promise<void>,
    private readonly concurrency = 1,
  ) {}

  /** Queue one message; resolves once its batch committed (and was handed to the fan-out). */
  post(room: number, item: PostItem): Promise<PostResult> {
    let q = this.queues.get(room)
    if (!q) {
      q = []
      this.queues.set(room, q)
    }
    if (q.length >= MAX_QUEUED) return Promise.reject(ChatError.rateLimited(1_000))
    const queue = q
    const done = new Promise<PostResult>((resolve, reject) => queue.push({ ...item, resolve, reject }))
    this.schedule()
    return done
  }

  /**
   * Start a call after this turn of the event loop: every frame read from the sockets in this turn
   * is queued by then and goes in the same call.
   */
  private schedule(): void {
    if (this.scheduled || this.running >= this.concurrency) return
    this.scheduled = true
    setImmediate(() => this.flush())
  }

  private flush(): void {
    this.scheduled = false
    while (this.running < this.concurrency) {
      const batch = this.take()
      if (batch.length === 0) return
      this.running++
      void this.write(batch)
    }
  }

  /** Up to MAX_BATCH queued messages of rooms not in a call, rooms in ascending id order. */
  private take(): Taken[] {
    const out: Taken[] = []
    let budget = MAX_BATCH
    for (const [room, q] of this.queues) {
      if (budget === 0) break
      if (this.busy.has(room)) continue
      const items = q.length <= budget ? q.splice(0) : q.splice(0, budget)
      budget -= items.length
      this.busy.add(room)
      // To the back of the line: with more queued than one call takes, rooms take turns.
      this.queues.delete(room)
      if (q.length > 0) this.queues.set(room, q)
      out.push({ room, items })
    }
    return out.sort((a, b) => a.room - b.room)
  }

  private async write(batch: Taken[]): Promise<void> {
    try {
      await this.commit(batch)
    } finally {
      for (const b of batch) {
        this.busy.delete(b.room)
        const q = this.queues.get(b.room)
        if (q && q.length === 0) this.queues.delete(b.room)
      }
      this.running--
      if (this.queues.size > 0) this.schedule()
    }
  }

  /**
   * One post_batch() call, and what it tells the senders. When the call fails for a value of one
   * item (a data error: text PostgreSQL cannot store that got past the edge, a value out of range),
   * the whole transaction rolled back and nothing was written: the batch is split in two halves,
   * each committed on its own (first half first, so each room keeps its order), until the bad item
   * is alone and fails alone. Other errors (the database is down) fail the whole batch.
   */
  private async commit(batch: Taken[]): Promise<void> {
    let results: (PostResult | ChatError)[][]
    try {
      results = await this.store.postBatch(batch)
    } catch (err) {
      const count = batch.reduce((n, b) => n + b.items.length, 0)
      if (!isDataError(err)) {
        for (const b of batch) for (const p of b.items) p.reject(err)
        return
      }
      if (count === 1) {
        batch[0]!.items[0]!.reject(
          ChatError.invalid(`the message cannot be stored: ${(err as Error).message}`),
        )
        return
      }
      this.splits++
      const [first, second] = halves(batch, count)
      await this.commit(first)
      await this.commit(second)
      return
    }
    this.batches++
    const fresh: PostResult[] = []
    for (const r of results) for (const x of r) if (!(x instanceof ChatError) && !x.duplicate) fresh.push(x)
    this.written += fresh.length
    // Delivered before the senders hear `sent`, so a sender's own copy never trails its answer.
    await this.onCommitted(fresh)
    for (const [i, b] of batch.entries())
      for (const [j, p] of b.items.entries()) {
        const r = results[i]![j]!
        if (r instanceof ChatError) p.reject(r)
        else p.resolve(r)
      }
  }
}

/**
 * Whether PostgreSQL refused a value of the statement rather than the statement itself failing to
 * run: SQLSTATE classes 22 (data exception: invalid byte sequence, untranslatable character, out of
 * range), 23 (integrity) and 54 (program limit: an index row too large).
 */
function isDataError(err: unknown): boolean {
  const code = (err as { code?: unknown }).code
  return typeof code === 'string' && /^(22|23|54)[0-9A-Z]{3}$/.test(code)
}

/** `batch` (of `count` items) cut in two at its middle item, rooms still in id order in each half. */
function halves(batch: Taken[], count: number): [Taken[], Taken[]] {
  const first: Taken[] = []
  const second: Taken[] = []
  let left = Math.floor(count / 2)
  for (const b of batch) {
    if (left >= b.items.length) {
      first.push(b)
      left -= b.items.length
    } else if (left > 0) {
      first.push({ room: b.room, items: b.items.slice(0, left) })
      second.push({ room: b.room, items: b.items.slice(left) })
      left = 0
    } else second.push(b)
  }
  return [first, second]
}
