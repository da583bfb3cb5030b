/**
 * What a person can do to one message: reply in its thread, react (or take a reaction back), and,
 * for their own message, edit it in place or delete it. The server judges each action (only the
 * sender edits; the sender or the room's owner deletes); its result comes back as a room event, so
 * every open page, this one included, shows it the same way.
 */
import { type FormEvent, useState } from 'react'
import type { ChatMessage } from './timeline'

/** The reactions offered with one click (any emoji is accepted by the server). */
export const QUICK_REACTIONS = ['👍', '❤️', '😂'] as const

export interface MessageActionHandlers {
  onReply: (m: ChatMessage) => void
  onEdit: (offset: number, body: string) => void
  onDelete: (offset: number) => void
  onReact: (offset: number, emoji: string, remove: boolean) => void
}

export function MessageActions({ m, me, h }: { m: ChatMessage; me: string; h: MessageActionHandlers }) {
  const [editing, setEditing] = useState(false)
  const [text, setText] = useState(m.body)
  if (m.deleted) return null
  const mine = m.sender === me

  const save = (e: FormEvent) => {
    e.preventDefault()
    if (text.trim() && text !== m.body) h.onEdit(m.offset, text)
    setEditing(false)
  }

  if (editing)
    return (
      <form className="message-edit" onSubmit={save}>
        <label className="sr-only" htmlFor={`edit-${m.offset}`}>
          Edit message {m.offset}
        </label>
        <textarea id={`edit-${m.offset}`} rows={2} value={text} onChange={(e) => setText(e.target.value)} />
        <button type="submit" className="small" disabled={!text.trim()}>
          Save
        </button>
        <button type="button" className="secondary small" onClick={() => setEditing(false)}>
          Cancel
        </button>
      </form>
    )

  return (
    <div className="message-actions">
      <button type="button" className="secondary small" onClick={() => h.onReply(m)}>
        Reply
      </button>
      {QUICK_REACTIONS.map((emoji) => {
        const reacted = m.reactions[emoji]?.includes(me) ?? false
        return (
          <button
            key={emoji}
            type="button"
            className={`secondary small${reacted ? ' reacted' : ''}`}
            aria-pressed={reacted}
            aria-label={`${reacted ? 'Take back' : 'React with'} ${emoji}`}
            onClick={() => h.onReact(m.offset, emoji, reacted)}
          >
            {emoji}
          </button>
        )
      })}
      {mine && (
        <>
          <button
            type="button"
            className="secondary small"
            onClick={() => {
              setText(m.body)
              setEditing(true)
            }}
          >
            Edit
          </button>
          <button type="button" className="secondary small" onClick={() => h.onDelete(m.offset)}>
            Delete
          </button>
        </>
      )}
    </div>
  )
}
