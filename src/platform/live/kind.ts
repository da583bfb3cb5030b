/**
 * A declared stream kind at run time: the system's spec, and the handle the system publishes
 * through. `publish` takes committed events (the system calls it after its transaction commits):
 * this node's readers get them at once, every other node through the Bus, and whatever the Bus
 * loses is filled from the kind's history by the sweep. `signal` reaches the stream's current
 * readers on every node without being stored (typing, a receipt); `end` unsubscribes them all
 * (the stream was deleted).
 */
import type { Bus } from '../bus/port.js'
import type { Logger } from '../telemetry/logger.js'
import { Fanout } from './fanout.js'
import {
  type LiveEvent,
  STREAM_ID,
  type StreamKindHandle,
  type StreamKindSpec,
  type StreamRef,
} from './stream-kind.js'

/** A kind name: `<system>.<kind>`, both kebab-case. */
const KIND_NAME = /^[a-z][a-z0-9-]*\.[a-z][a-z0-9-]*$/

export class StreamKind<E extends LiveEvent = LiveEvent> implements StreamKindHandle {
  readonly fanout: Fanout
  readonly spec: StreamKindSpec<LiveEvent>

  constructor(
    /** `<system>.<kind>`, e.g. `chat.room`: the prefix of its streams' names and Bus subjects. */
    readonly name: string,
    spec: StreamKindSpec<E>,
    bus: Bus,
    log: Logger,
    /** Also speak the kind's Bus subjects of before this library (`spec.legacySignals`), LIVE_LEGACY_SUBJECTS. */
    legacySubjects = false,
  ) {
    if (!KIND_NAME.test(name)) throw new Error(`stream kind ${name} must be <system>.<kind>, both kebab-case`)
    this.spec = spec as unknown as StreamKindSpec<LiveEvent>
    this.fanout = new Fanout(this, bus, log, legacySubjects)
  }

  ref(id: string): StreamRef {
    return { kind: this, id, key: `${this.name}.${id}` }
  }

  parseId(raw: string): string | undefined {
    if (this.spec.parseId) return this.spec.parseId(raw)
    return STREAM_ID.test(raw) ? raw : undefined
  }

  /**
   * Publish committed events (grouped by stream, each stream's in offset order). They reach this
   * node's readers before this returns; the promise resolves once the Bus has them and never
   * rejects (a lost publish is filled by the other nodes' sweeps), so a caller may not wait for it.
   */
  publish(events: readonly E[]): Promise<void> {
    return this.fanout.publish(events)
  }

  /**
   * Send `frame` (a JSON object the kind defines, naming its stream as its events do) to the
   * current readers of stream `id` on every node; not stored, no offset. `except`: not to this
   * user's connections. Rejects when the Bus refused it (this node's readers have it).
   */
  signal(id: string, frame: Record<string, unknown>, opts: { except?: string } = {}): Promise<void> {
    return this.fanout.signal(id, { frame, ...(opts.except !== undefined && { except: opts.except }) })
  }

  /** End stream `id` for its readers on every node: each gets `unsubscribed` with `reason`. */
  end(id: string, reason: string): Promise<void> {
    return this.fanout.signal(id, { frame: {}, end: reason })
  }
}
