/** Paste, replace or forget the jobs API token; the server's refusal is shown under the field. */
import { type FormEvent, useState } from 'react'
import { Field } from '../../ui/field'

export interface TokenFormProps {
  token: string
  onSave: (token: string) => void
  /** The server's message when it refused the request (a 401). */
  error?: string
}

/** The API token form. */
export function TokenForm({ token, onSave, error }: TokenFormProps) {
  const [draft, setDraft] = useState('')
  const submit = (e: FormEvent) => {
    e.preventDefault()
    onSave(draft)
    setDraft('')
  }
  return (
    <form className="card form-inline" onSubmit={submit} aria-label="Authentication">
      <Field
        label={token ? 'API token (saved in this browser)' : 'API token'}
        type="password"
        autoComplete="off"
        placeholder={token ? '••••••••' : 'paste the token'}
        value={draft}
        onChange={(e) => setDraft(e.target.value)}
        error={error}
        hint={token ? undefined : 'The server requires the token set in JOBS_API_TOKEN'}
      />
      <div className="actions">
        <button type="submit" disabled={!draft.trim()}>
          Save token
        </button>
        {token && (
          <button type="button" className="secondary" onClick={() => onSave('')}>
            Forget token
          </button>
        )}
      </div>
    </form>
  )
}
