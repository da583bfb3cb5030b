/**
 * Group commit of messages, per room. Sends to one room queue while the
 * room's previous batch is being written; the next call to PostgreSQL writes
 * them all (post_messages(): one round trip, one transaction, offsets in
 * queue order). A lone message costs what it did before; a busy room pays one
 * round trip per batch instead of per message, and its events reach each
 * socket together (one write per socket, see ws.routes.ts). Each sender's
 * messages keep their order: they enter the queue in the order they arrive.
 */
import { ChatError } from './errors.js'
import type { MessageStore, PostItem, PostResult } from './messages.store.js'

/** The most messages written in one call. */
const MAX_BATCH = 200
/** The most messages waiting for one room; past it a send is refused (429) rather than queued. */
const MAX_QUEUED = 20_000

interface Pending extends PostItem {
  resolve: (r: PostResult) => void
  reject: (err: unknown) => void
}

class RoomQueue {
  items: Pending[] = []
  writing = false
}

export class MessageWriter {
  private readonly rooms = new Map<number, RoomQueue>()
  /** Calls to PostgreSQL and messages written, for the metrics. */
  batches = 0
  written = 0

  constructor(
    private readonly store: MessageStore,
    /** Called with a batch's new messages, in offset order, once committed. */
    private readonly onCommitted: (results: PostResult[]) => Promise<void>,
  ) {}

  /** Queue one message; resolves once its batch committed (and was handed to the fan-out). */
  post(room: number, item: PostItem): Promise<PostResult> {
    let q = this.rooms.get(room)
    if (!q) {
      q = new RoomQueue()
      this.rooms.set(room, q)
    }
    if (q.items.length >= MAX_QUEUED) return Promise.reject(ChatError.rateLimited(1_000))
    const queue = q
    const done = new Promise<PostResult>((resolve, reject) => queue.items.push({ ...item, resolve, reject }))
    if (!queue.writing) void this.drain(room, queue)
    return done
  }

  private async drain(room: number, q: RoomQueue): Promise<void> {
    q.writing = true
    try {
      while (q.items.length > 0) {
        const batch = q.items.splice(0, MAX_BATCH)
        let results: (PostResult | ChatError)[]
        try {
          results = await this.store.postMany(room, batch)
        } catch (err) {
          for (const p of batch) p.reject(err)
          continue
        }
        this.batches++
        const fresh = results.filter((r): r is PostResult => !(r instanceof ChatError) && !r.duplicate)
        this.written += fresh.length
        // Delivered before the senders hear `sent`, so a sender's own copy never trails its answer.
        await this.onCommitted(fresh)
        for (const [i, p] of batch.entries()) {
          const r = results[i]!
          if (r instanceof ChatError) p.reject(r)
          else p.resolve(r)
        }
      }
    } finally {
      q.writing = false
      if (q.items.length === 0) this.rooms.delete(room)
      else void this.drain(room, q)
    }
  }
}
