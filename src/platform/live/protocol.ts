/**
 * The live protocol: one JSON envelope for every transport (WebSocket frames,
 * SSE `data:` lines and POST bodies, long-poll arrays). Every frame is
 * `{ v, type, ...fields }`. Client frames that expect an answer carry an `id`
 * the answer echoes. Events carry their stream's `offset`, dense and
 * increasing: a client that has seen offset N of a stream resumes with
 * `subscribe { <stream>, after: N }`.
 *
 * Version 2 is version 1 plus one server frame, `batch` (consecutive events
 * of one stream in one frame), sent only to a client that asked for it when it
 * connected (`?v=2`): a v1 client never sees it. A frame's `v` is the version
 * that defined it, so every v1 frame is unchanged in v2.
 * README.md documents every frame; this file parses client frames.
 */
import { AppError } from '../errors.js'
import { findUnstorableText } from '../text/storable.js'
import type { Addressing } from './addressing.js'
import type { LiveErrors } from './errors.js'
import type { FieldReader, KindFrame, StreamRef } from './stream-kind.js'

export const PROTOCOL_VERSION = 1
/** The newest version this server speaks. */
export const LATEST_PROTOCOL = 2
export type ProtocolVersion = 1 | 2
/** Every version this server speaks, oldest first (named in UNSUPPORTED_VERSION). */
export const SPOKEN_VERSIONS: readonly ProtocolVersion[] = [1, 2]
/** What a client should wait, past the server's ping interval, before it calls the connection dead. */
export const PING_GRACE_MS = 10_000

/** The version a connection speaks: what the client asked for (default 1), at most the latest. */
export function negotiate(requested: number | undefined): ProtocolVersion {
  return requested !== undefined && requested >= 2 ? 2 : 1
}

export type PresenceStatus = 'online' | 'away' | 'offline'

/** Frames a client sends: the library's own, and those of a stream kind (`kind`). */
export type ClientFrame =
  | { type: 'auth'; id?: string; token: string }
  | { type: 'refresh'; id?: string; token: string }
  | { type: 'ping'; id?: string }
  | { type: 'subscribe'; id?: string; ref: StreamRef; after?: number }
  | { type: 'unsubscribe'; id?: string; ref: StreamRef }
  | { type: 'ack'; id?: string; ref: StreamRef; offset: number }
  | { type: 'presence'; id?: string; status: 'online' | 'away' }
  | { type: 'watch'; id?: string; users: string[] }
  | { type: 'kind'; name: string; id?: string; ref: StreamRef; handler: KindFrame<unknown>; fields: unknown }

/** The frame types of the library itself (a kind's frames may not reuse them). */
export const LIBRARY_FRAMES = new Set([
  'auth',
  'refresh',
  'ping',
  'subscribe',
  'unsubscribe',
  'ack',
  'presence',
  'watch',
])

/** What parsing needs of an endpoint. */
export interface ParseContext {
  errors: LiveErrors
  addressing: Addressing
  fields: FieldReader
  /** Whether some kind this endpoint carries takes client frames of `type`. */
  kindFrame(type: string): boolean
}

const MAX_ID = 64
const MAX_WATCH = 1_000

type Raw = Record<string, unknown>

function id(raw: Raw, errors: LiveErrors): string | undefined {
  const v = raw.id
  if (v === undefined) return undefined
  if (typeof v !== 'string' || v.length === 0 || v.length > MAX_ID)
    throw errors.malformed(`id must be a string of 1-${MAX_ID} characters`)
  return v
}

/**
 * Parse one client frame (text already size-checked); throws the endpoint's error for anything but
 * a valid frame of a version up to `version` (client frames are the same in v1 and v2).
 */
export function parseClientFrame(text: string, ctx: ParseContext, version: ProtocolVersion): ClientFrame {
  let raw: unknown
  try {
    raw = JSON.parse(text)
  } catch {
    throw ctx.errors.malformed('the frame is not valid JSON')
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw))
    throw ctx.errors.malformed('a frame is a JSON object')
  return parseClientObject(raw as Raw, ctx, version)
}

/** Validate a decoded client frame object (POST bodies arrive decoded). */
export function parseClientObject(r: Raw, ctx: ParseContext, version: ProtocolVersion): ClientFrame {
  const { errors, addressing } = ctx
  if (r.v !== PROTOCOL_VERSION && !(r.v === 2 && version >= 2))
    throw errors.badVersion(r.v, version, SPOKEN_VERSIONS)
  const type = r.type
  if (typeof type !== 'string') throw errors.malformed('type must be a string')
  // Before any field is used: one U+0000 or lone surrogate would fail the group commit it joins.
  const bad = findUnstorableText(r)
  if (bad !== undefined) throw errors.unstorable(bad)
  const stream = () => addressing.parse(r[addressing.field], errors)
  switch (type) {
    case 'auth':
    case 'refresh':
      return { type, id: id(r, errors), token: ctx.fields.text(r, 'token', 8_192) }
    case 'ping':
      return { type, id: id(r, errors) }
    case 'subscribe':
      return { type, id: id(r, errors), ref: stream(), after: ctx.fields.offset(r, 'after', false) }
    case 'unsubscribe':
      return { type, id: id(r, errors), ref: stream() }
    case 'ack':
      return { type, id: id(r, errors), ref: stream(), offset: ctx.fields.offset(r, 'offset', true) }
    case 'presence':
      if (r.status !== 'online' && r.status !== 'away')
        throw errors.malformed('status must be "online" or "away"')
      return { type, id: id(r, errors), status: r.status }
    case 'watch': {
      const users = r.users
      if (!Array.isArray(users) || users.length > MAX_WATCH || users.some((u) => typeof u !== 'string'))
        throw errors.malformed(`users must be an array of at most ${MAX_WATCH} user names`)
      return { type, id: id(r, errors), users: users as string[] }
    }
  }
  if (!ctx.kindFrame(type)) throw errors.unknownType(type)
  const frameId = id(r, errors)
  const ref = stream()
  const handler = ref.kind.spec.frames?.[type] as KindFrame<unknown> | undefined
  if (!handler) throw errors.unknownType(type)
  return { type: 'kind', name: type, id: frameId, ref, handler, fields: handler.parse(r, ctx.fields) }
}

/** The `error` frame for an error (an unexpected one never shows its message). */
export function errorFrame(
  errors: LiveErrors,
  err: unknown,
  requestId?: string,
  stream?: Record<string, string | number>,
): Record<string, unknown> {
  if (err instanceof AppError)
    return {
      v: 1,
      type: 'error',
      ...(requestId !== undefined && { id: requestId }),
      ...stream,
      code: err.code,
      status: err.status,
      message: err.message,
      ...err.extensions,
    }
  return {
    v: 1,
    type: 'error',
    ...(requestId !== undefined && { id: requestId }),
    code: errors.internalCode,
    status: 500,
    message: 'an unexpected error occurred; it has been logged',
  }
}
