/**
 * The y-websocket protocol on the server: one in-memory Y.Doc (and its awareness) per open
 * document, loaded from PostgreSQL when its first client connects. Messages, as y-websocket's
 * provider sends them: sync step 1 (the client's state vector; answered with step 2, the
 * updates it lacks, and our own step 1), sync step 2 and update (a Yjs update: checked, appended
 * to PostgreSQL, then applied and passed to the other clients), awareness (cursors, names:
 * relayed, never stored), query-awareness. A malformed message closes that socket; the document
 * is only ever changed by an update that decoded whole and was stored.
 */
import * as decoding from 'lib0/decoding'
import * as encoding from 'lib0/encoding'
import * as awarenessProtocol from 'y-protocols/awareness'
import * as Y from 'yjs'
import type { Logger } from '../../../platform/telemetry/logger.js'
import type { YjsDocStore } from './doc-store.js'

const MESSAGE_SYNC = 0
const MESSAGE_AWARENESS = 1
const MESSAGE_QUERY_AWARENESS = 3
const SYNC_STEP1 = 0
const SYNC_STEP2 = 1
const SYNC_UPDATE = 2

/** A client socket, as much of ws as the rooms use. */
export interface YjsSocket {
  send(data: Uint8Array): void
  close(code: number, reason: string): void
  readonly readyState: number
}

export interface YjsLimits {
  /** Largest message a client may send (bytes). */
  maxMessageBytes: number
  /** Largest document (bytes of its merged state): updates past it are refused. */
  maxDocBytes: number
  /** Compact a document's rows when it has this many. */
  compactEvery: number
}

class Room {
  readonly doc = new Y.Doc({ gc: true })
  readonly awareness = new awarenessProtocol.Awareness(this.doc)
  readonly conns = new Map<YjsSocket, Set<number>>()
  /** Bytes of the stored state: the merged size at load or compaction, plus updates since. */
  bytes = 0
  rowsSinceCompaction = 0
  constructor(readonly name: string) {
    this.awareness.setLocalState(null)
  }
}

/** Close codes: 4400 malformed message, 4413 over a size limit, 1011 storage failed. */
export class YjsRooms {
  private readonly rooms = new Map<string, Promise<Room>>()
  /** Counters for metrics and tests. */
  readonly counters = { updates: 0, refused: 0, malformed: 0 }

  constructor(
    private readonly store: YjsDocStore,
    private readonly limits: YjsLimits,
    private readonly log: Logger,
  ) {}

  private room(name: string): Promise<Room> {
    let r = this.rooms.get(name)
    if (!r) {
      r = (async () => {
        const room = new Room(name)
        const { update, rows } = await this.store.load(name)
        Y.applyUpdate(room.doc, update, 'store')
        room.bytes = update.length
        room.rowsSinceCompaction = rows
        room.doc.on('update', (u: Uint8Array, origin: unknown) => this.broadcast(room, syncUpdate(u), origin))
        room.awareness.on('update', ({ added, updated, removed }: AwarenessChange, origin: unknown) => {
          const changed = [...added, ...updated, ...removed]
          const ids = room.conns.get(origin as YjsSocket)
          if (ids) {
            for (const id of added) ids.add(id)
            for (const id of removed) ids.delete(id)
          }
          const enc = encoding.createEncoder()
          encoding.writeVarUint(enc, MESSAGE_AWARENESS)
          encoding.writeVarUint8Array(enc, awarenessProtocol.encodeAwarenessUpdate(room.awareness, changed))
          this.broadcast(room, encoding.toUint8Array(enc), undefined)
        })
        return room
      })()
      this.rooms.set(name, r)
      r.catch(() => this.rooms.delete(name))
    }
    return r
  }

  /** A client joined `name`: send it our sync step 1 and the awareness states. Returns its message handler and its goodbye. */
  async join(
    name: string,
    socket: YjsSocket,
  ): Promise<{ receive(data: Uint8Array): Promise<void>; leave(): Promise<void> }> {
    const room = await this.room(name)
    room.conns.set(socket, new Set())
    const step1 = encoding.createEncoder()
    encoding.writeVarUint(step1, MESSAGE_SYNC)
    encoding.writeVarUint(step1, SYNC_STEP1)
    encoding.writeVarUint8Array(step1, Y.encodeStateVector(room.doc))
    send(socket, encoding.toUint8Array(step1))
    const states = [...room.awareness.getStates().keys()]
    if (states.length) {
      const enc = encoding.createEncoder()
      encoding.writeVarUint(enc, MESSAGE_AWARENESS)
      encoding.writeVarUint8Array(enc, awarenessProtocol.encodeAwarenessUpdate(room.awareness, states))
      send(socket, encoding.toUint8Array(enc))
    }
    return {
      receive: (data) => this.receive(room, socket, data),
      leave: () => this.leave(room, socket),
    }
  }

  private async receive(room: Room, socket: YjsSocket, data: Uint8Array): Promise<void> {
    if (data.length > this.limits.maxMessageBytes) return this.refuse(socket, 4413, 'message too large')
    let kind: number
    let decoder: decoding.Decoder
    try {
      decoder = decoding.createDecoder(data)
      kind = decoding.readVarUint(decoder)
    } catch {
      return this.malformed(socket)
    }
    if (kind === MESSAGE_SYNC) {
      let sub: number
      let payload: Uint8Array
      try {
        sub = decoding.readVarUint(decoder)
        payload = decoding.readVarUint8Array(decoder)
      } catch {
        return this.malformed(socket)
      }
      if (sub === SYNC_STEP1) {
        let diff: Uint8Array
        try {
          diff = Y.encodeStateAsUpdate(room.doc, payload)
        } catch {
          return this.malformed(socket)
        }
        const enc = encoding.createEncoder()
        encoding.writeVarUint(enc, MESSAGE_SYNC)
        encoding.writeVarUint(enc, SYNC_STEP2)
        encoding.writeVarUint8Array(enc, diff)
        return send(socket, encoding.toUint8Array(enc))
      }
      if (sub !== SYNC_STEP2 && sub !== SYNC_UPDATE) return this.malformed(socket)
      return this.update(room, socket, payload)
    }
    if (kind === MESSAGE_AWARENESS) {
      try {
        awarenessProtocol.applyAwarenessUpdate(room.awareness, decoding.readVarUint8Array(decoder), socket)
      } catch {
        return this.malformed(socket)
      }
      return
    }
    if (kind === MESSAGE_QUERY_AWARENESS) {
      const enc = encoding.createEncoder()
      encoding.writeVarUint(enc, MESSAGE_AWARENESS)
      encoding.writeVarUint8Array(
        enc,
        awarenessProtocol.encodeAwarenessUpdate(room.awareness, [...room.awareness.getStates().keys()]),
      )
      return send(socket, encoding.toUint8Array(enc))
    }
    // Auth (2) and unknown types: y-websocket's server ignores what it does not speak; so do we.
  }

  /** Check, store, then apply an update (the order that makes an acknowledged edit durable). */
  private async update(room: Room, socket: YjsSocket, update: Uint8Array): Promise<void> {
    try {
      // Decodes the whole update (structs and delete set): a malformed one throws here, before the doc sees it.
      Y.decodeUpdate(update)
    } catch {
      return this.malformed(socket)
    }
    // An update that adds nothing (its structs already in the doc) is still cheap to store; empty ones are skipped.
    if (update.length <= 2 && update.every((b) => b === 0)) return
    if (room.bytes + update.length > this.limits.maxDocBytes) {
      this.counters.refused++
      return this.refuse(socket, 4413, `the document is over ${this.limits.maxDocBytes} bytes`)
    }
    try {
      await this.store.append(room.name, update)
    } catch (err) {
      this.log.warn(
        { err, doc: room.name },
        'yjs update not stored; closing the socket (the client resends on reconnect)',
      )
      return this.refuse(socket, 1011, 'storage unavailable')
    }
    room.bytes += update.length
    room.rowsSinceCompaction++
    this.counters.updates++
    Y.applyUpdate(room.doc, update, socket)
    if (room.rowsSinceCompaction >= this.limits.compactEvery) await this.compact(room)
  }

  private async compact(room: Room): Promise<void> {
    try {
      room.bytes = await this.store.compact(room.name)
      room.rowsSinceCompaction = 1
    } catch (err) {
      this.log.warn({ err, doc: room.name }, 'yjs compaction failed (retried at the next threshold)')
    }
  }

  private async leave(room: Room, socket: YjsSocket): Promise<void> {
    const ids = room.conns.get(socket)
    room.conns.delete(socket)
    if (ids?.size) awarenessProtocol.removeAwarenessStates(room.awareness, [...ids], null)
    if (room.conns.size === 0 && this.rooms.get(room.name)) {
      this.rooms.delete(room.name)
      if (room.rowsSinceCompaction > 1) await this.compact(room)
      room.doc.destroy()
    }
  }

  private broadcast(room: Room, data: Uint8Array, origin: unknown): void {
    for (const s of room.conns.keys()) if (s !== origin) send(s, data)
  }

  private malformed(socket: YjsSocket): void {
    this.counters.malformed++
    this.refuse(socket, 4400, 'malformed y-websocket message')
  }

  private refuse(socket: YjsSocket, code: number, reason: string): void {
    if (socket.readyState === 1) socket.close(code, reason)
  }

  /** Documents open on this node. */
  get open(): number {
    return this.rooms.size
  }
}

interface AwarenessChange {
  added: number[]
  updated: number[]
  removed: number[]
}

function syncUpdate(update: Uint8Array): Uint8Array {
  const enc = encoding.createEncoder()
  encoding.writeVarUint(enc, MESSAGE_SYNC)
  encoding.writeVarUint(enc, SYNC_UPDATE)
  encoding.writeVarUint8Array(enc, update)
  return encoding.toUint8Array(enc)
}

function send(socket: YjsSocket, data: Uint8Array): void {
  if (socket.readyState === 1) socket.send(data)
}
