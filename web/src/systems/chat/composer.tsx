/**
 * Writing a message: Enter sends, Shift+Enter starts a new line, and typing
 * tells the room (throttled in the socket client, like the server relays it).
 */
import { type FormEvent, type KeyboardEvent, useId, useState } from 'react'

export function Composer({
  roomTitle,
  onSend,
  onTyping,
  replyTo,
  onCancelReply,
}: {
  roomTitle: string
  onSend: (body: string) => void
  onTyping: () => void
  /** The message this one answers (a thread), shown above the box until sent or cancelled. */
  replyTo?: { offset: number; sender: string; body: string }
  onCancelReply?: () => void
}) {
  const [text, setText] = useState('')
  const id = useId()

  const send = (e?: FormEvent) => {
    e?.preventDefault()
    if (!text.trim()) return
    onSend(text)
    setText('')
  }

  const key = (e: KeyboardEvent<HTMLTextAreaElement>) => {
    if (e.key === 'Enter' && !e.shiftKey && !e.nativeEvent.isComposing) send(e)
  }

  return (
    <form className="composer" onSubmit={send}>
      {replyTo && (
        <p className="replying" data-reply-to={replyTo.offset}>
          Replying to {replyTo.sender}:{' '}
          {replyTo.body.length > 60 ? `${replyTo.body.slice(0, 60)}…` : replyTo.body}{' '}
          <button type="button" className="secondary small" onClick={onCancelReply}>
            Cancel reply
          </button>
        </p>
      )}
      <label htmlFor={id} className="sr-only">
        Message {roomTitle}
      </label>
      <textarea
        id={id}
        rows={2}
        value={text}
        placeholder="Enter sends, Shift+Enter starts a new line"
        onChange={(e) => {
          setText(e.target.value)
          if (e.target.value) onTyping()
        }}
        onKeyDown={key}
      />
      <button type="submit" disabled={!text.trim()}>
        Send
      </button>
    </form>
  )
}
