/** Paste, replace or forget the API key; the server's refusal of a key is shown under the field. */
import { type FormEvent, useState } from 'react'
import { Field } from '../../ui/field'

export interface ApiKeyFormProps {
  apiKey: string
  onSave: (key: string) => void
  /** The server's message when it refused the key. */
  error?: string
}

/** The API key form. */
export function ApiKeyForm({ apiKey, onSave, error }: ApiKeyFormProps) {
  const [draft, setDraft] = useState('')
  const submit = (e: FormEvent) => {
    e.preventDefault()
    onSave(draft)
    setDraft('')
  }
  return (
    <form className="card form-inline" onSubmit={submit} aria-label="Authentication">
      <Field
        label={apiKey ? 'API key (saved in this browser)' : 'API key'}
        type="password"
        autoComplete="off"
        placeholder={apiKey ? '••••••••' : 'paste a key'}
        value={draft}
        onChange={(e) => setDraft(e.target.value)}
        error={error}
        hint={apiKey ? undefined : 'Create one with: npx blueprints url-shortener api-key create'}
      />
      <div className="actions">
        <button type="submit" disabled={!draft.trim()}>
          Save key
        </button>
        {apiKey && (
          <button type="button" className="secondary" onClick={() => onSave('')}>
            Forget key
          </button>
        )}
      </div>
    </form>
  )
}
