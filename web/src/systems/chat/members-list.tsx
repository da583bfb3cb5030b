/**
 * The open room's members: each one's presence, in words and colour
 * (online, away, offline), and how far they have read.
 */
import type { Member } from './api'
import type { PresenceStatus } from './protocol'

export function MembersList({
  members,
  presence,
  receipts,
  me,
  head,
}: {
  members: Member[] | undefined
  presence: Readonly<Record<string, PresenceStatus>>
  receipts: Readonly<Record<string, number>>
  me: string
  head: number
}) {
  if (!members) return <p className="muted">Loading members…</p>
  return (
    <ul className="members" aria-label="Members">
      {members.map((m) => {
        // We are online by definition while this page talks to the server.
        const status = m.user === me ? 'online' : (presence[m.user] ?? 'offline')
        const read = Math.max(receipts[m.user] ?? 0, m.lastRead)
        return (
          <li key={m.user} data-member={m.user} data-presence={status}>
            <span className={`presence-dot presence-${status}`} aria-hidden="true" />
            <span className="member-name">
              {m.user}
              {m.user === me && ' (you)'}
            </span>{' '}
            <span className="presence-word">{status}</span>
            {m.role === 'owner' && <span className="muted"> · owner</span>}
            <span className="muted" data-read={read}>
              {' '}
              · {read >= head ? 'read all' : `read to #${read}`}
            </span>
          </li>
        )
      })}
    </ul>
  )
}
