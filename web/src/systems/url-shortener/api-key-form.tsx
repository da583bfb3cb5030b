/** The URL shortener's API key, kept in this browser. */
import { SecretForm } from '../../ui/secret-form'

export interface ApiKeyFormProps {
  apiKey: string
  onSave: (key: string) => void
  /** The server's message when it refused the key. */
  error?: string
}

/**
 * Where a key comes from. The command works while the server runs: on the embedded database it runs
 * inside the server that holds DATA_DIR (same folder and environment as the server), on PostgreSQL
 * against the shared database.
 */
export const API_KEY_HINT =
  "Create one with: npx blueprints url-shortener api-key create --name NAME (in the server's folder and environment; it works while the server runs)"

/** The API key form. */
export function ApiKeyForm({ apiKey, onSave, error }: ApiKeyFormProps) {
  return (
    <SecretForm
      noun="API key"
      value={apiKey}
      onSave={onSave}
      error={error}
      placeholder="paste a key"
      hint={API_KEY_HINT}
    />
  )
}
