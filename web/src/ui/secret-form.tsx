/** Paste, replace or forget a secret kept in this browser (an API key, a token); the server's refusal shows under the field. */
import { type FormEvent, useState } from 'react'
import { Field } from './field'

export interface SecretFormProps {
  /** What the secret is called in labels and buttons ("API key", "API token"). */
  noun: string
  /** The saved secret ('' when none). */
  value: string
  onSave: (secret: string) => void
  /** The server's message when it refused the secret. */
  error?: string
  /** Where to get one, shown while none is saved. */
  hint: string
  placeholder: string
}

/** A password-type field with Save and Forget; Forget saves ''. */
export function SecretForm({ noun, value, onSave, error, hint, placeholder }: SecretFormProps) {
  const [draft, setDraft] = useState('')
  const short = noun.replace(/^API /, '')
  const submit = (e: FormEvent) => {
    e.preventDefault()
    onSave(draft)
    setDraft('')
  }
  return (
    <form className="card form-inline" onSubmit={submit} aria-label="Authentication">
      <Field
        label={value ? `${noun} (saved in this browser)` : noun}
        type="password"
        autoComplete="off"
        placeholder={value ? '••••••••' : placeholder}
        value={draft}
        onChange={(e) => setDraft(e.target.value)}
        error={error}
        hint={value ? undefined : hint}
      />
      <div className="actions">
        <button type="submit" disabled={!draft.trim()}>
          Save {short}
        </button>
        {value && (
          <button type="button" className="secondary" onClick={() => onSave('')}>
            Forget {short}
          </button>
        )}
      </div>
    </form>
  )
}
