/**
 * The open room's messages, oldest at the top: "Load older" pages back
 * through history (cursor: the oldest offset on screen), new messages stick
 * to the bottom when we are already there, a search hit is scrolled into
 * view, our messages not yet stored show as "sending", and read receipts
 * sit under the last message each member has read.
 *
 * Bodies are rendered as React text, never as HTML: whatever someone
 * typed, markup included, is shown as typed.
 */
import { useEffect, useLayoutEffect, useMemo, useRef } from 'react'
import type { PendingSend } from './chat-state'
import { type MessageActionHandlers, MessageActions } from './message-actions'
import { receiptMarks, seenBy } from './receipts'
import type { ChatMessage } from './timeline'

export interface MessageListProps {
  messages: ChatMessage[]
  pending: PendingSend[]
  receipts: Readonly<Record<string, number>>
  me: string
  loaded: boolean
  hasOlder: boolean
  loadingOlder: boolean
  onLoadOlder: () => void
  /** Offset of a message to bring into view. */
  target: number | undefined
  onRetry: (cid: string) => void
  onDiscard: (cid: string) => void
  /** Reply, react, edit, delete (message-actions.tsx). */
  actions: MessageActionHandlers
}

/** A thread's parent as a reply shows it: "alice: the first words…". */
function quoteOf(parent: ChatMessage | undefined, offset: number): string {
  if (!parent) return `message #${offset}`
  if (parent.deleted) return `${parent.sender}: (deleted)`
  return `${parent.sender}: ${parent.body.length > 60 ? `${parent.body.slice(0, 60)}…` : parent.body}`
}

/** "14:03" today, else the date too. */
export function messageTime(iso: string, now = new Date()): string {
  const d = new Date(iso)
  if (Number.isNaN(d.getTime())) return iso
  const time = d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' })
  return d.toDateString() === now.toDateString() ? time : `${d.toLocaleDateString()} ${time}`
}

/** Within this many pixels of the bottom counts as "at the bottom" (new messages keep it there). */
const STICKY_PX = 48

export function MessageList(p: MessageListProps) {
  const box = useRef<HTMLElement>(null)
  const marks = useMemo(() => receiptMarks(p.messages, p.receipts, p.me), [p.messages, p.receipts, p.me])
  const byOffset = useMemo(() => new Map(p.messages.map((m) => [m.offset, m])), [p.messages])
  const replies = useMemo(() => {
    const n = new Map<number, number>()
    for (const m of p.messages) if (m.parent !== null) n.set(m.parent, (n.get(m.parent) ?? 0) + 1)
    return n
  }, [p.messages])
  const first = p.messages[0]?.offset
  const last = p.messages[p.messages.length - 1]
  const pendingCount = p.pending.length
  const seen = useRef({ first, last: last?.offset, pending: pendingCount, height: 0, atBottom: true })

  useLayoutEffect(() => {
    const el = box.current
    if (!el) return
    const before = seen.current
    if (first !== undefined && before.first !== undefined && first < before.first) {
      // An older page went in above: keep what was on screen where it was.
      el.scrollTop += el.scrollHeight - before.height
    } else if (last?.offset !== before.last || pendingCount > before.pending) {
      // Our own message always scrolls down: we just sent it and want to see it.
      if (before.atBottom || last?.sender === p.me || pendingCount > before.pending)
        el.scrollTop = el.scrollHeight
    }
    seen.current = {
      first,
      last: last?.offset,
      pending: pendingCount,
      height: el.scrollHeight,
      atBottom: before.atBottom,
    }
  })

  // Once the hit is loaded (older pages may have to come first), and only then.
  const targetShown = p.target !== undefined && p.messages.some((m) => m.offset === p.target)
  useEffect(() => {
    if (!targetShown) return
    const el = box.current?.querySelector(`[data-offset="${p.target}"]`)
    el?.scrollIntoView?.({ block: 'center' })
  }, [p.target, targetShown])

  const onScroll = () => {
    const el = box.current
    if (!el) return
    seen.current.atBottom = el.scrollHeight - el.scrollTop - el.clientHeight < STICKY_PX
    seen.current.height = el.scrollHeight
  }

  return (
    // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable region must be reachable by keyboard
    <section className="message-scroll" aria-label="Messages" tabIndex={0} ref={box} onScroll={onScroll}>
      {p.hasOlder ? (
        <button type="button" className="secondary small" disabled={p.loadingOlder} onClick={p.onLoadOlder}>
          {p.loadingOlder ? 'Loading older messages…' : 'Load older messages'}
        </button>
      ) : (
        p.loaded && <p className="muted start">The start of this room.</p>
      )}
      {!p.loaded && <p className="muted">Loading messages…</p>}
      {p.loaded && p.messages.length === 0 && pendingCount === 0 && (
        <p className="muted">No messages yet: say hello.</p>
      )}
      <ol className="messages" aria-live="polite" aria-relevant="additions">
        {p.messages.map((m) => {
          const readers = marks.get(m.offset)
          const reactions = Object.entries(m.reactions)
          return (
            <li
              key={m.offset}
              data-offset={m.offset}
              data-sender={m.sender}
              className={`message${m.sender === p.me ? ' mine' : ''}${m.offset === p.target ? ' target' : ''}`}
            >
              <div className="message-meta">
                <strong>{m.sender}</strong> <time dateTime={m.at}>{messageTime(m.at)}</time>
                {(replies.get(m.offset) ?? 0) > 0 && (
                  <span className="muted" data-replies={replies.get(m.offset)}>
                    {' '}
                    · {replies.get(m.offset)} {replies.get(m.offset) === 1 ? 'reply' : 'replies'}
                  </span>
                )}
                {m.editedAt && !m.deleted && <span className="muted"> · edited</span>}
              </div>
              {m.parent !== null && (
                <p className="reply-quote muted" data-parent={m.parent}>
                  ↪ {quoteOf(byOffset.get(m.parent), m.parent)}
                </p>
              )}
              {m.deleted ? (
                <p className="message-body muted">
                  <em>message deleted</em>
                </p>
              ) : (
                <p className="message-body">{m.body}</p>
              )}
              {reactions.length > 0 && (
                <ul className="reactions" aria-label="Reactions">
                  {reactions.map(([emoji, users]) => (
                    <li key={emoji} title={users.join(', ')}>
                      {emoji} {users.length}
                    </li>
                  ))}
                </ul>
              )}
              <MessageActions m={m} me={p.me} h={p.actions} />
              {readers && (
                <p className="receipts" data-readers={readers.join(',')}>
                  {seenBy(readers)}
                </p>
              )}
            </li>
          )
        })}
        {p.pending.map((s) => (
          <li key={s.cid} className="message mine pending" data-cid={s.cid} data-state={s.state}>
            <div className="message-meta">
              <strong>{p.me}</strong>{' '}
              <span className="muted">{s.state === 'failed' ? 'not sent' : 'sending…'}</span>
            </div>
            <p className="message-body">{s.body}</p>
            {s.state === 'failed' && (
              <div className="pending-actions">
                <span className="form-error">{s.error}</span>
                <button type="button" className="secondary small" onClick={() => p.onRetry(s.cid)}>
                  Retry
                </button>
                <button type="button" className="secondary small" onClick={() => p.onDiscard(s.cid)}>
                  Discard
                </button>
              </div>
            )}
          </li>
        ))}
      </ol>
    </section>
  )
}
