/**
 * The client frames that act on a room: `send`, `edit`, `delete`, `react`,
 * `read`, `typing` (the protocol's own frames, `subscribe`, `ping`, `watch`
 * and the rest, are the live library's). Each is parsed from its fields and
 * handled after the frames before it on its connection; every one counts
 * against the room kind's per-connection write limit. A `send` is not
 * awaited: it is queued for its room's next group commit in the order it
 * came (writer.ts), and the next frame need not wait for the commit, which
 * is what lets a busy room's messages commit in batches.
 */
import type { FieldReader, KindFrame, LiveConnection, StreamRef } from '../../platform/live/index.js'
import { ChatError } from './errors.js'
import type { ChatService } from './service.js'

/** The most messages of one connection waiting for their commit. */
const MAX_SENDING = 1_000
/** A typing indicator is relayed at most this often per connection and room. */
const TYPING_EVERY_MS = 2_000
const MAX_CID = 128
const MAX_EMOJI = 32

/** What chat keeps per connection: messages waiting for their commit, and the last typing signal per room. */
interface ChatConnectionState {
  sending: number
  typingAt: Map<number, number>
}

const states = new WeakMap<LiveConnection, ChatConnectionState>()

function stateOf(conn: LiveConnection): ChatConnectionState {
  let s = states.get(conn)
  if (!s) {
    s = { sending: 0, typingAt: new Map() }
    states.set(conn, s)
  }
  return s
}

const roomOf = (ref: StreamRef) => Number(ref.id)
const idOf = (id: string | undefined) => (id !== undefined ? { id } : {})

type Raw = Record<string, unknown>

/** The room kind's frames, answered through `service`; `maxBody`: the largest message (UTF-8 bytes). */
export function roomFrames(service: ChatService, maxBody: number): Record<string, KindFrame<unknown>> {
  const body = (r: Raw, f: FieldReader) => f.text(r, 'body', maxBody, ChatError.tooLarge)
  const message = (r: Raw, f: FieldReader) => f.offset(r, 'message', true)

  const send: KindFrame<{ body: string; cid?: string; parent?: number }> = {
    pipelined: true,
    parse: (r, f) => ({
      cid: r.cid === undefined ? undefined : f.text(r, 'cid', MAX_CID),
      body: body(r, f),
      parent: f.offset(r, 'parent', false),
    }),
    async handle(conn, ref, fr, id) {
      const state = stateOf(conn)
      if (state.sending >= MAX_SENDING) throw ChatError.rateLimited(1_000)
      state.sending++
      try {
        const r = await service.post(conn.user, roomOf(ref), fr.body, fr.cid, fr.parent)
        conn.sendFrame({
          v: 1,
          type: 'sent',
          ...idOf(id),
          ...conn.naming(ref),
          offset: r.event.offset,
          cid: r.event.cid,
          duplicate: r.duplicate,
        })
      } finally {
        state.sending--
      }
    },
  }

  const edit: KindFrame<{ message: number; body: string }> = {
    parse: (r, f) => ({ message: message(r, f), body: body(r, f) }),
    async handle(conn, ref, fr, id) {
      const e = await service.edit(conn.user, roomOf(ref), fr.message, fr.body)
      conn.sendFrame({ v: 1, type: 'ok', ...idOf(id), ...conn.naming(ref), offset: e.offset })
    },
  }

  const del: KindFrame<{ message: number }> = {
    parse: (r, f) => ({ message: message(r, f) }),
    async handle(conn, ref, fr, id) {
      const e = await service.delete(conn.user, roomOf(ref), fr.message)
      conn.sendFrame({ v: 1, type: 'ok', ...idOf(id), ...conn.naming(ref), offset: e.offset })
    },
  }

  const react: KindFrame<{ message: number; emoji: string; remove: boolean }> = {
    parse(r, f) {
      if (r.remove !== undefined && typeof r.remove !== 'boolean')
        throw f.malformed('remove must be a boolean')
      return { message: message(r, f), emoji: f.text(r, 'emoji', MAX_EMOJI), remove: r.remove === true }
    },
    async handle(conn, ref, fr, id) {
      const e = await service.react(conn.user, roomOf(ref), fr.message, fr.emoji, fr.remove)
      conn.sendFrame({ v: 1, type: 'ok', ...idOf(id), ...conn.naming(ref), offset: e?.offset ?? null })
    },
  }

  const read: KindFrame<{ offset: number }> = {
    parse: (r, f) => ({ offset: f.offset(r, 'offset', true) }),
    async handle(conn, ref, fr, id) {
      const lastRead = await service.markRead(conn.user, roomOf(ref), fr.offset)
      conn.sendFrame({ v: 1, type: 'ok', ...idOf(id), ...conn.naming(ref), lastRead })
    },
  }

  const typing: KindFrame<Record<never, never>> = {
    parse: () => ({}),
    async handle(conn, ref, _fr, id) {
      const room = roomOf(ref)
      if (!conn.isSubscribed(ref)) await service.memberOf(conn.user, room)
      const state = stateOf(conn)
      const now = Date.now()
      if (now - (state.typingAt.get(room) ?? 0) >= TYPING_EVERY_MS) {
        state.typingAt.set(room, now)
        await service.typing(conn.user, room)
      }
      if (id !== undefined) conn.sendFrame({ v: 1, type: 'ok', id })
    },
  }

  return { send, edit, delete: del, react, read, typing }
}
