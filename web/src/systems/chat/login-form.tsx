/**
 * Sign in with a user name, through the chat system's development token
 * issuer. There is no password: it exists for development and this console,
 * and the server can turn it off (then this form says so).
 */
import { type FormEvent, useState } from 'react'
import { ApiError } from '../../api/http'
import { fieldErrors } from '../../api/problem'
import { Field } from '../../ui/field'
import { issueToken, type Token } from './api'

/** The sign-in card. `notice` explains why we are here again (an expired session). */
export function LoginForm({ onLogin, notice }: { onLogin: (t: Token) => void; notice?: string }) {
  const [user, setUser] = useState('')
  const [error, setError] = useState<string>()
  const [busy, setBusy] = useState(false)

  const submit = async (e: FormEvent) => {
    e.preventDefault()
    setBusy(true)
    setError(undefined)
    try {
      onLogin(await issueToken(user.trim()))
    } catch (err) {
      if (err instanceof ApiError && err.status === 404)
        setError('This server issues no development tokens (CHAT_DEV_TOKENS is off).')
      else if (err instanceof ApiError && err.problem) setError(fieldErrors(err.problem).user ?? err.message)
      else setError(err instanceof Error ? err.message : String(err))
    } finally {
      setBusy(false)
    }
  }

  return (
    <section className="card" aria-labelledby="chat-login-heading">
      <h2 id="chat-login-heading">Sign in to chat</h2>
      {notice && <p className="form-error">{notice}</p>}
      <p className="muted">
        The development token issuer (<code>POST /chat/tokens</code>) signs a token for any name, without a
        password. To chat as a second person, open this page in another browser or a private window.
      </p>
      <form className="form-inline" onSubmit={submit}>
        <Field
          label="User name"
          name="user"
          value={user}
          onChange={(e) => setUser(e.target.value)}
          autoComplete="username"
          required
          maxLength={64}
          hint="1-64 letters, digits or _ . @ -"
          error={error}
        />
        <div className="actions">
          <button type="submit" disabled={busy}>
            Sign in
          </button>
        </div>
      </form>
    </section>
  )
}
