/**
 * Which show the seat map shows: a show id (remembered in this browser), or a new demo show (a
 * small hall created through the public API), since a fresh server has none and the API has no
 * list of shows to pick from.
 */
import { useState } from 'react'
import { Field } from '../../ui/field'
import { createDemoShow } from './api'

/** The picker; `onShow` opens a show. */
export function ShowPicker({ show, onShow }: { show: string | undefined; onShow: (id: string) => void }) {
  const [draft, setDraft] = useState(show ?? '')
  const [error, setError] = useState<string>()
  const [busy, setBusy] = useState(false)

  const demo = async () => {
    setBusy(true)
    setError(undefined)
    try {
      const id = await createDemoShow()
      setDraft(id)
      onShow(id)
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err))
    } finally {
      setBusy(false)
    }
  }

  return (
    <section className="card" aria-labelledby="show-heading">
      <h2 id="show-heading">Seat map</h2>
      <form
        className="form-inline"
        onSubmit={(e) => {
          e.preventDefault()
          const id = draft.trim()
          if (/^[1-9]\d*$/.test(id)) onShow(id)
          else setError('A show id is a positive whole number (the `id` POST /inventory/shows answered).')
        }}
      >
        <Field label="Show id" inputMode="numeric" value={draft} onChange={(e) => setDraft(e.target.value)} />
        <div className="actions">
          <button type="submit">Open</button>
          <button type="button" className="secondary" disabled={busy} onClick={demo}>
            {busy ? 'Creating…' : 'Create a demo show'}
          </button>
        </div>
      </form>
      {error && (
        <p className="form-error" role="alert">
          {error}
        </p>
      )}
      <p className="hint">
        Open the same show in a second window: holds made there appear here as they happen.
      </p>
    </section>
  )
}
