/**
 * Writing a message: Enter sends, Shift+Enter starts a new line, and typing
 * tells the room (throttled in the socket client, like the server relays it).
 */
import { type FormEvent, type KeyboardEvent, useId, useState } from 'react'

export function Composer({
  roomTitle,
  onSend,
  onTyping,
}: {
  roomTitle: string
  onSend: (body: string) => void
  onTyping: () => void
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
