/**
 * The chat protocol: one JSON envelope for every transport (WebSocket frames,
 * SSE `data:` lines and POST bodies, long-poll arrays). Every frame is
 * `{ v, type, ...fields }`. Client frames that expect an answer carry an `id`
 * the answer echoes. Room events (`message`, `update`) carry the room's
 * `offset`, dense and increasing: a client that has seen offset N of a room
 * resumes with `subscribe { room, after: N }`.
 *
 * Version 2 is version 1 plus one server frame, `batch` (consecutive events
 * of one room in one frame), sent only to a client that asked for it when it
 * connected (`?v=2`): a v1 client never sees it. A frame's `v` is the version
 * that defined it, so every v1 frame is unchanged in v2.
 * README.md documents every frame; this file parses client frames.
 */
import { findUnstorableText } from '../../platform/text/storable.js'
import type { MessageEvent as WireMessageEvent, UpdateEvent as WireUpdateEvent } from './client/frames.js'
import { ChatError } from './errors.js'

export const PROTOCOL_VERSION = 1
/** The newest version this server speaks. */
export const LATEST_PROTOCOL = 2
export type ProtocolVersion = 1 | 2
/** Every version this server speaks, oldest first (named in CHAT_UNSUPPORTED_VERSION). */
export const SPOKEN_VERSIONS: readonly ProtocolVersion[] = [1, 2]
/** What a client should wait, past the server's ping interval, before it calls the connection dead. */
export const PING_GRACE_MS = 10_000

/** The version a connection speaks: what the client asked for (default 1), at most the latest. */
export function negotiate(requested: number | undefined): ProtocolVersion {
  return requested !== undefined && requested >= 2 ? 2 : 1
}

// The room events' fields are defined once, in the browser's dependency-free client library
// (a type-only import: nothing of the client runs on the server, nothing of the server reaches
// the browser). The server's frames also carry the version that defined them.
export type { PresenceStatus, UpdateKind } from './client/frames.js'

/** A new message in a room (a room event). */
export interface MessageEvent extends WireMessageEvent {
  v: 1
}

/** A change in a room (a room event): edit, delete, reaction, member joined or left. */
export interface UpdateEvent extends WireUpdateEvent {
  v: 1
}

export type RoomEvent = MessageEvent | UpdateEvent

/** Frames a client sends. */
export type ClientFrame =
  | { type: 'auth'; id?: string; token: string }
  | { type: 'refresh'; id?: string; token: string }
  | { type: 'ping'; id?: string }
  | { type: 'subscribe'; id?: string; room: number; after?: number }
  | { type: 'unsubscribe'; id?: string; room: number }
  | { type: 'ack'; id?: string; room: number; offset: number }
  | { type: 'send'; id?: string; room: number; body: string; cid?: string; parent?: number }
  | { type: 'edit'; id?: string; room: number; message: number; body: string }
  | { type: 'delete'; id?: string; room: number; message: number }
  | { type: 'react'; id?: string; room: number; message: number; emoji: string; remove?: boolean }
  | { type: 'read'; id?: string; room: number; offset: number }
  | { type: 'typing'; id?: string; room: number }
  | { type: 'presence'; id?: string; status: 'online' | 'away' }
  | { type: 'watch'; id?: string; users: string[] }

export type ClientFrameType = ClientFrame['type']

const MAX_ID = 64
const MAX_CID = 128
const MAX_EMOJI = 32
const MAX_WATCH = 1_000
const MAX_OFFSET = Number.MAX_SAFE_INTEGER

type Raw = Record<string, unknown>

function id(raw: Raw): string | undefined {
  const v = raw.id
  if (v === undefined) return undefined
  if (typeof v !== 'string' || v.length === 0 || v.length > MAX_ID)
    throw ChatError.malformed(`id must be a string of 1-${MAX_ID} characters`)
  return v
}

function offset(raw: Raw, key: string, required: true): number
function offset(raw: Raw, key: string, required: false): number | undefined
function offset(raw: Raw, key: string, required: boolean): number | undefined {
  const v = raw[key]
  if (v === undefined && !required) return undefined
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > MAX_OFFSET)
    throw ChatError.malformed(`${key} must be a non-negative integer`)
  return v
}

function room(raw: Raw): number {
  const v = raw.room
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > MAX_OFFSET)
    throw ChatError.malformed('room must be a positive integer')
  return v
}

function text(raw: Raw, key: string, max: number, tooLarge?: (max: number) => ChatError): string {
  const v = raw[key]
  if (typeof v !== 'string') throw ChatError.malformed(`${key} must be a string`)
  if (v.length === 0) throw ChatError.malformed(`${key} must not be empty`)
  // UTF-16 length bounds the UTF-8 length from below; measure exactly only when it could matter.
  if (v.length > max || (v.length * 3 > max && Buffer.byteLength(v) > max))
    throw tooLarge ? tooLarge(max) : ChatError.malformed(`${key} must be at most ${max} bytes`)
  return v
}

/**
 * Parse one client frame (text already size-checked); throws ChatError for anything but a valid
 * frame of a version up to `version` (client frames are the same in v1 and v2).
 */
export function parseClientFrame(
  textFrame: string,
  maxBody: number,
  version: ProtocolVersion = 1,
): ClientFrame {
  let raw: unknown
  try {
    raw = JSON.parse(textFrame)
  } catch {
    throw ChatError.malformed('the frame is not valid JSON')
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw))
    throw ChatError.malformed('a frame is a JSON object')
  return parseClientObject(raw as Raw, maxBody, version)
}

/** Validate a decoded client frame object (POST bodies arrive decoded). */
export function parseClientObject(r: Raw, maxBody: number, version: ProtocolVersion = 1): ClientFrame {
  if (r.v !== PROTOCOL_VERSION && !(r.v === 2 && version >= 2))
    throw ChatError.badVersion(r.v, version, SPOKEN_VERSIONS)
  const type = r.type
  if (typeof type !== 'string') throw ChatError.malformed('type must be a string')
  // Before any field is used: one U+0000 or lone surrogate would fail the group commit it joins.
  const bad = findUnstorableText(r)
  if (bad !== undefined) throw ChatError.unstorable(bad)
  switch (type) {
    case 'auth':
    case 'refresh':
      return { type, id: id(r), token: text(r, 'token', 8_192) }
    case 'ping':
      return { type, id: id(r) }
    case 'subscribe':
      return { type, id: id(r), room: room(r), after: offset(r, 'after', false) }
    case 'unsubscribe':
      return { type, id: id(r), room: room(r) }
    case 'ack':
      return { type, id: id(r), room: room(r), offset: offset(r, 'offset', true) }
    case 'send': {
      const cid = r.cid === undefined ? undefined : text(r, 'cid', MAX_CID)
      return {
        type,
        id: id(r),
        room: room(r),
        body: text(r, 'body', maxBody, ChatError.tooLarge),
        cid,
        parent: offset(r, 'parent', false),
      }
    }
    case 'edit':
      return {
        type,
        id: id(r),
        room: room(r),
        message: offset(r, 'message', true),
        body: text(r, 'body', maxBody, ChatError.tooLarge),
      }
    case 'delete':
      return { type, id: id(r), room: room(r), message: offset(r, 'message', true) }
    case 'react': {
      if (r.remove !== undefined && typeof r.remove !== 'boolean')
        throw ChatError.malformed('remove must be a boolean')
      return {
        type,
        id: id(r),
        room: room(r),
        message: offset(r, 'message', true),
        emoji: text(r, 'emoji', MAX_EMOJI),
        remove: r.remove as boolean | undefined,
      }
    }
    case 'read':
      return { type, id: id(r), room: room(r), offset: offset(r, 'offset', true) }
    case 'typing':
      return { type, id: id(r), room: room(r) }
    case 'presence':
      if (r.status !== 'online' && r.status !== 'away')
        throw ChatError.malformed('status must be "online" or "away"')
      return { type, id: id(r), status: r.status }
    case 'watch': {
      const users = r.users
      if (!Array.isArray(users) || users.length > MAX_WATCH || users.some((u) => typeof u !== 'string'))
        throw ChatError.malformed(`users must be an array of at most ${MAX_WATCH} user names`)
      return { type, id: id(r), users: users as string[] }
    }
    default:
      throw ChatError.unknownType(type)
  }
}

/** The `error` frame for a ChatError (or any error: an unexpected one never shows its message). */
export function errorFrame(err: unknown, requestId?: string, room?: number): Record<string, unknown> {
  if (err instanceof ChatError)
    return {
      v: 1,
      type: 'error',
      ...(requestId !== undefined && { id: requestId }),
      ...(room !== undefined && { room }),
      code: err.code,
      status: err.status,
      message: err.message,
      ...err.extensions,
    }
  return {
    v: 1,
    type: 'error',
    ...(requestId !== undefined && { id: requestId }),
    code: 'CHAT_INTERNAL',
    status: 500,
    message: 'an unexpected error occurred; it has been logged',
  }
}
