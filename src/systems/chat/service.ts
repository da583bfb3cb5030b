/**
 * The chat domain: every operation REST and the socket share. Writes commit
 * in PostgreSQL first, then their event is published to the room's live
 * stream (this node at once, other nodes through the Bus: platform/live); a
 * lost publish is filled by the sweeps.
 */
import type { StreamKind } from '../../platform/live/index.js'
import type { Logger } from '../../platform/telemetry/logger.js'
import { ChatError } from './errors.js'
import type { Message, MessageStore, SearchHit } from './messages.store.js'
import type { MessageEvent, RoomEvent, UpdateEvent } from './protocol.js'
import type { Member, MyRoom, Room, RoomKind, RoomStore } from './rooms.store.js'
import { USER_NAME } from './tokens.js'
import { MessageWriter } from './writer.js'

export interface Limits {
  maxMessageBytes: number
  maxRoomsPerUser: number
}

export interface NewRoom {
  kind: 'public' | 'private'
  name: string
  topic?: string
  members?: string[]
}

export class ChatService {
  private readonly knownUsers = new Set<string>()
  readonly writer: MessageWriter

  constructor(
    readonly rooms: RoomStore,
    readonly messages: MessageStore,
    /** The rooms' live stream kind (`chat.room`): committed events are published to it. */
    readonly stream: StreamKind<RoomEvent>,
    readonly limits: Limits,
    private readonly log: Logger,
    /** Group-commit calls that may run at once (writer.ts): 1 on PGlite, a few on a pool. */
    writerConcurrency = 1,
  ) {
    this.writer = new MessageWriter(
      messages,
      // Delivered on this node before the senders hear `sent`; the Bus is not waited for.
      async (results) => void this.stream.publish(results.map((r) => r.event)),
      writerConcurrency,
    )
  }

  /** Record a user the first time this node sees them (bounded memo: one insert per user per node). */
  async seen(user: string): Promise<void> {
    if (this.knownUsers.has(user)) return
    await this.rooms.ensureUser(user)
    if (this.knownUsers.size > 100_000) this.knownUsers.clear()
    this.knownUsers.add(user)
  }

  /** A room `user` may read: public rooms, and rooms they belong to. */
  async readable(user: string, id: number): Promise<{ room: Room; member: Member | undefined }> {
    const room = await this.rooms.get(id)
    if (!room) throw ChatError.roomNotFound(id)
    const member = await this.rooms.membership(id, user)
    if (!member && room.kind !== 'public') throw ChatError.roomNotFound(id)
    return { room, member }
  }

  /** A room `user` belongs to (writes need membership). */
  async memberOf(user: string, id: number): Promise<{ room: Room; member: Member }> {
    const { room, member } = await this.readable(user, id)
    if (!member) throw ChatError.notMember(id)
    return { room, member }
  }

  async createRoom(user: string, r: NewRoom): Promise<Room> {
    const others = [...new Set(r.members ?? [])].filter((m) => m !== user)
    for (const m of others) if (!USER_NAME.test(m)) throw ChatError.badUser(m)
    for (const m of others) await this.seen(m)
    const { room, events } = await this.rooms.create(
      r.kind,
      r.name,
      r.topic ?? '',
      user,
      this.limits.maxRoomsPerUser,
      others,
    )
    await this.stream.publish(events)
    return room
  }

  /** The direct room of `user` and `other`, created on first use. */
  async direct(user: string, other: string): Promise<Room> {
    if (!USER_NAME.test(other)) throw ChatError.badUser(other)
    if (other === user) throw ChatError.invalid('a direct room needs two different users')
    const key = [user, other].sort().join('\n')
    const existing = await this.rooms.direct(key)
    if (existing) return existing
    await this.seen(other)
    try {
      const { room, events } = await this.rooms.create(
        'direct' as RoomKind,
        [user, other].sort().join(', '),
        '',
        user,
        this.limits.maxRoomsPerUser,
        [other],
        key,
      )
      await this.stream.publish(events)
      return room
    } catch (err) {
      // Both users opened it at once: the other insert won.
      if ((err as { code?: string }).code === '23505') {
        const room = await this.rooms.direct(key)
        if (room) return room
      }
      throw err
    }
  }

  async updateRoom(user: string, id: number, patch: { name?: string; topic?: string }): Promise<Room> {
    const { member } = await this.memberOf(user, id)
    if (member.role !== 'owner') throw ChatError.forbidden('only the owner may change a room')
    return (await this.rooms.update(id, patch)) ?? Promise.reject(ChatError.roomNotFound(id))
  }

  async deleteRoom(user: string, id: number): Promise<void> {
    const { member } = await this.memberOf(user, id)
    if (member.role !== 'owner') throw ChatError.forbidden('only the owner may delete a room')
    await this.rooms.delete(id)
    // Every reader of the room on every node is unsubscribed (`unsubscribed`, reason `deleted`).
    await this.stream
      .end(String(id), 'deleted')
      .catch((err) => this.log.warn({ err }, 'room-deleted not published'))
  }

  /** Join a public room, or (as its owner) add someone to a private one. */
  async addMember(user: string, id: number, who: string): Promise<UpdateEvent | undefined> {
    if (!USER_NAME.test(who)) throw ChatError.badUser(who)
    const { room, member } = await this.readable(user, id)
    if (room.kind === 'direct') throw ChatError.forbidden('direct rooms have exactly two members')
    if (who === user && room.kind === 'public') {
      // Anyone may join a public room.
    } else if (member?.role !== 'owner') throw ChatError.forbidden('only the owner may add members')
    await this.seen(who)
    const event = await this.rooms.addMember(id, who, this.limits.maxRoomsPerUser)
    if (event) await this.stream.publish([event])
    return event
  }

  /** Leave a room, or (as its owner) remove someone. */
  async removeMember(user: string, id: number, who: string): Promise<UpdateEvent | undefined> {
    const { member } = await this.memberOf(user, id)
    if (who !== user && member.role !== 'owner')
      throw ChatError.forbidden('only the owner may remove members')
    const event = await this.rooms.removeMember(id, who, user)
    if (event) await this.stream.publish([event])
    return event
  }

  async post(
    user: string,
    room: number,
    body: string,
    cid?: string,
    parent?: number,
  ): Promise<{ event: MessageEvent; duplicate: boolean }> {
    this.checkBody(body)
    // Queued synchronously: a sender's messages keep their order; published by the writer on commit.
    return this.writer.post(room, { sender: user, body, cid, parent })
  }

  async edit(user: string, room: number, offset: number, body: string): Promise<UpdateEvent> {
    this.checkBody(body)
    await this.memberOf(user, room)
    const event = await this.messages.edit(room, offset, user, body)
    await this.stream.publish([event])
    return event
  }

  async delete(user: string, room: number, offset: number): Promise<UpdateEvent> {
    const { member } = await this.memberOf(user, room)
    const event = await this.messages.delete(room, offset, user, member.role === 'owner')
    await this.stream.publish([event])
    return event
  }

  async react(
    user: string,
    room: number,
    offset: number,
    emoji: string,
    remove: boolean,
  ): Promise<UpdateEvent | undefined> {
    if (emoji.length === 0 || emoji.length > 32 || /\s/.test(emoji))
      throw ChatError.invalid('emoji must be 1-32 characters without spaces')
    await this.memberOf(user, room)
    const event = await this.messages.react(room, offset, user, emoji, remove)
    if (event) await this.stream.publish([event])
    return event
  }

  /** Move `user`'s read receipt forward and tell the room. */
  async markRead(user: string, room: number, offset: number): Promise<number> {
    const lastRead = await this.rooms.markRead(room, user, offset)
    if (lastRead === undefined) {
      await this.memberOf(user, room)
      throw ChatError.notMember(room)
    }
    await this.stream
      .signal(String(room), { v: 1, type: 'receipt', room, user, offset: lastRead })
      .catch((err) => this.log.warn({ err }, 'receipt not published'))
    return lastRead
  }

  async typing(user: string, room: number): Promise<void> {
    // Not to the typist's own connections.
    await this.stream.signal(
      String(room),
      { v: 1, type: 'typing', room, user, ttlMs: 6_000 },
      { except: user },
    )
  }

  async history(
    user: string,
    room: number,
    q: { before?: number; after?: number; limit: number; thread?: number },
  ): Promise<{ messages: Message[]; hasMore: boolean; head: number }> {
    const { room: r } = await this.readable(user, room)
    return { ...(await this.messages.history(room, q)), head: r.head }
  }

  async message(user: string, room: number, offset: number): Promise<Message & { history: UpdateEvent[] }> {
    await this.readable(user, room)
    const m = await this.messages.get(room, offset)
    if (!m) throw ChatError.messageNotFound(room, offset)
    return { ...m, history: await this.messages.changes(room, offset) }
  }

  async search(user: string, q: string, room: number | undefined, limit: number): Promise<SearchHit[]> {
    if (room !== undefined) await this.readable(user, room)
    return this.messages.search(user, q, room, limit)
  }

  mine(user: string): Promise<MyRoom[]> {
    return this.rooms.mine(user)
  }

  private checkBody(body: string): void {
    const max = this.limits.maxMessageBytes
    if (body.length === 0) throw ChatError.invalid('body must not be empty')
    if (body.length > max || (body.length * 3 > max && Buffer.byteLength(body) > max))
      throw ChatError.tooLarge(max)
  }
}
