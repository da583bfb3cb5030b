/**
 * Making rooms: a public or private room with its first members, and the
 * direct room with one other person (the server keeps one per pair, so
 * asking again opens the same room). Refusals come back as problem+json
 * and are shown under the field they name.
 */
import { type FormEvent, useState } from 'react'
import { ApiError } from '../../api/http'
import { fieldErrors } from '../../api/problem'
import { Field } from '../../ui/field'
import type { ChatApi } from './api'

/** The server's message for `field`, else its message in general. */
function errorFor(err: unknown, field: string): string {
  if (err instanceof ApiError && err.problem) return fieldErrors(err.problem)[field] ?? err.message
  return err instanceof Error ? err.message : String(err)
}

/** "bob, carol  dave" -> ["bob", "carol", "dave"]. */
export function parseMembers(text: string): string[] {
  return [...new Set(text.split(/[\s,]+/).filter(Boolean))]
}

export function NewRoomForm({ api, onCreated }: { api: ChatApi; onCreated: (room: number) => void }) {
  const [name, setName] = useState('')
  const [kind, setKind] = useState<'public' | 'private'>('public')
  const [members, setMembers] = useState('')
  const [errors, setErrors] = useState<{ name?: string; members?: string }>({})
  const [busy, setBusy] = useState(false)

  const submit = async (e: FormEvent) => {
    e.preventDefault()
    setBusy(true)
    setErrors({})
    try {
      const list = parseMembers(members)
      const room = await api.createRoom({
        name: name.trim(),
        kind,
        ...(list.length > 0 && { members: list }),
      })
      setName('')
      setMembers('')
      onCreated(room.id)
    } catch (err) {
      const problem = err instanceof ApiError ? err.problem : undefined
      const fields = problem ? fieldErrors(problem) : {}
      setErrors(fields.members ? { members: fields.members } : { name: errorFor(err, 'name') })
    } finally {
      setBusy(false)
    }
  }

  return (
    <form className="room-form" onSubmit={submit} aria-labelledby="chat-new-room">
      <h3 id="chat-new-room">New room</h3>
      <Field
        label="Room name"
        value={name}
        onChange={(e) => setName(e.target.value)}
        required
        maxLength={100}
        error={errors.name}
      />
      <div className="field">
        <label htmlFor="chat-room-kind">Who can read it</label>
        <select
          id="chat-room-kind"
          value={kind}
          onChange={(e) => setKind(e.target.value as 'public' | 'private')}
        >
          <option value="public">public: anyone may join</option>
          <option value="private">private: members only</option>
        </select>
      </div>
      <Field
        label="Members (optional)"
        value={members}
        onChange={(e) => setMembers(e.target.value)}
        hint="User names, separated by commas"
        error={errors.members}
      />
      <div className="actions">
        <button type="submit" disabled={busy}>
          Create room
        </button>
      </div>
    </form>
  )
}

export function DirectForm({
  api,
  me,
  onOpened,
}: {
  api: ChatApi
  me: string
  onOpened: (room: number) => void
}) {
  const [user, setUser] = useState('')
  const [error, setError] = useState<string>()
  const [busy, setBusy] = useState(false)

  const submit = async (e: FormEvent) => {
    e.preventDefault()
    const who = user.trim()
    if (who === me) {
      setError('A direct room is with someone else.')
      return
    }
    setBusy(true)
    setError(undefined)
    try {
      const room = await api.direct(who)
      setUser('')
      onOpened(room.id)
    } catch (err) {
      setError(errorFor(err, 'user'))
    } finally {
      setBusy(false)
    }
  }

  return (
    <form className="room-form" onSubmit={submit} aria-labelledby="chat-direct">
      <h3 id="chat-direct">Direct message</h3>
      <Field
        label="User name"
        value={user}
        onChange={(e) => setUser(e.target.value)}
        required
        maxLength={64}
        error={error}
      />
      <div className="actions">
        <button type="submit" disabled={busy}>
          Message
        </button>
      </div>
    </form>
  )
}
