/** The jobs API token (JOBS_API_TOKEN), kept in this browser. */
import { SecretForm } from '../../ui/secret-form'

export interface TokenFormProps {
  token: string
  onSave: (token: string) => void
  /** The server's message when it refused the request (a 401). */
  error?: string
}

/** The API token form. */
export function TokenForm({ token, onSave, error }: TokenFormProps) {
  return (
    <SecretForm
      noun="API token"
      value={token}
      onSave={onSave}
      error={error}
      placeholder="paste the token"
      hint="The server requires the token set in JOBS_API_TOKEN"
    />
  )
}
