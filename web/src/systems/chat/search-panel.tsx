/**
 * Full-text search across our rooms (or the open one), best match first.
 * The server's highlight is HTML; it is rendered through parseHighlight as
 * text and <mark> elements, never as markup (see highlight.ts).
 */
import { type FormEvent, useState } from 'react'
import { Field } from '../../ui/field'
import type { ChatApi, SearchHit } from './api'
import { parseHighlight } from './highlight'
import { messageTime } from './message-list'

/** The highlight as React nodes: text, and <mark> for the matches. */
export function Highlight({ html }: { html: string }) {
  return (
    <>
      {parseHighlight(html).map((s, i) =>
        // biome-ignore lint/suspicious/noArrayIndexKey: segments have no identity but their place
        s.mark ? <mark key={i}>{s.text}</mark> : <span key={i}>{s.text}</span>,
      )}
    </>
  )
}

export function SearchPanel({
  api,
  roomName,
  openRoom,
  onOpen,
}: {
  api: ChatApi
  roomName: (room: number) => string
  /** The open room, to search it alone. */
  openRoom: { id: number; title: string } | undefined
  onOpen: (hit: SearchHit) => void
}) {
  const [text, setText] = useState('')
  const [scope, setScope] = useState<'all' | 'room'>('all')
  const [hits, setHits] = useState<SearchHit[]>()
  const [error, setError] = useState<string>()
  const [busy, setBusy] = useState(false)

  const search = async (e: FormEvent) => {
    e.preventDefault()
    if (!text.trim()) return
    setBusy(true)
    setError(undefined)
    try {
      setHits(await api.search(text.trim(), scope === 'room' ? openRoom?.id : undefined))
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err))
      setHits(undefined)
    } finally {
      setBusy(false)
    }
  }

  return (
    <section className="card" aria-labelledby="chat-search-heading">
      <h2 id="chat-search-heading">Search messages</h2>
      <form className="form-inline" aria-label="Search messages" onSubmit={search}>
        <Field
          label="Search for"
          value={text}
          onChange={(e) => setText(e.target.value)}
          maxLength={200}
          hint='Words, "an exact phrase", -without, this or that'
          error={error}
        />
        <div className="field search-scope">
          <label htmlFor="chat-search-scope">In</label>
          <select
            id="chat-search-scope"
            value={scope}
            onChange={(e) => setScope(e.target.value as 'all' | 'room')}
          >
            <option value="all">all my rooms</option>
            {openRoom && <option value="room">{openRoom.title} only</option>}
          </select>
        </div>
        <div className="actions">
          <button type="submit" disabled={busy}>
            Search
          </button>
        </div>
      </form>
      {hits &&
        (hits.length === 0 ? (
          <p className="muted">No message matches.</p>
        ) : (
          <ol className="search-hits" aria-label="Search results">
            {hits.map((h) => (
              <li key={`${h.room}:${h.offset}`} data-room={h.room} data-offset={h.offset}>
                <p className="hit-meta">
                  <strong>{h.sender}</strong> in {roomName(h.room)} ·{' '}
                  <time dateTime={h.at}>{messageTime(h.at)}</time>{' '}
                  <button type="button" className="secondary small" onClick={() => onOpen(h)}>
                    Show in room
                  </button>
                </p>
                <p className="hit-text">
                  <Highlight html={h.highlight} />
                </p>
              </li>
            ))}
          </ol>
        ))}
    </section>
  )
}
