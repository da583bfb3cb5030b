/** The URL shortener's API key, kept in this browser. */
import { SecretForm } from '../../ui/secret-form'

export interface ApiKeyFormProps {
  apiKey: string
  onSave: (key: string) => void
  /** The server's message when it refused the key. */
  error?: string
}

/** The API key form. */
export function ApiKeyForm({ apiKey, onSave, error }: ApiKeyFormProps) {
  return (
    <SecretForm
      noun="API key"
      value={apiKey}
      onSave={onSave}
      error={error}
      placeholder="paste a key"
      hint="Create one with: npx blueprints url-shortener api-key create"
    />
  )
}
