/**
 * The Bus subjects chat used before its transport became this library, spoken
 * beside the new ones during a rolling deploy (LIVE_LEGACY_SUBJECTS), so that
 * nodes of both versions keep showing each other's presence and signals:
 *
 * - presence: `chat.presence` (now `live.presence`), same announcement;
 * - signals: `chat.eph.<room>` (now `live.signal.chat.room.<room>`), as chat's
 *   own frames (typing, receipt, room-deleted); a kind maps them (its spec's
 *   `legacySignals`, stream-kind.ts).
 *
 * Room events (`chat.room.<room>`) and the session relay (`chat.sessions.relay`)
 * kept their subjects. A new node publishes on both subjects and listens on
 * both; its copy on the old subject carries the header below, so new nodes
 * take only the old nodes' messages there and nothing is delivered twice.
 * Old nodes ignore headers they do not know.
 */
/** Marks a message a new node copied to an old subject: other new nodes have it already. */
export const LEGACY_COPY_HEADER = 'live-copy'

/** Chat's presence subject before platform/live. */
export const LEGACY_PRESENCE_SUBJECT = 'chat.presence'

/** Whether `headers` mark a new node's copy on an old subject. */
export function isLegacyCopy(headers: Readonly<Record<string, string>>): boolean {
  return headers[LEGACY_COPY_HEADER] !== undefined
}
