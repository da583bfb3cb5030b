/**
 * The chat protocol's room events. Every frame, on every transport, is one
 * JSON object `{ v, type, ...fields }`; the envelope, the transports, offsets,
 * resume and the protocol's own frames (`subscribe`, `ping`, `watch`, ...) are
 * the platform's live library (`src/platform/live/`), which chat's endpoint
 * speaks with rooms named `"room": <id>` and `CHAT_*` error codes. Chat adds
 * its room events (below) and its frames that act on a room
 * (room-frames.ts). README.md documents every frame.
 */
import type { MessageEvent as WireMessageEvent, UpdateEvent as WireUpdateEvent } from './client/frames.js'

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
