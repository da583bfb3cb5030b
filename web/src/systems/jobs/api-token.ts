/**
 * The jobs API token (the server's JOBS_API_TOKEN) this page sends as
 * `Authorization: Bearer <token>`, kept in this browser's localStorage so a
 * person pastes it once. Without one no header is sent: the API is open
 * unless the server sets a token. (It is a secret: the page never prints
 * it, and the field that takes it is a password field.)
 */
import { useState } from 'react'
import { readStored, writeStored } from '../../ui/storage'

const KEY = 'blueprints.jobs.apiToken'

/** The headers every jobs API call carries: the token's, when one is stored. */
export function authHeaders(): Record<string, string> {
  const token = readStored(KEY)
  return token ? { authorization: `Bearer ${token}` } : {}
}

/** The stored token and a setter that stores (or, with '', forgets) it. */
export function useApiToken(): [string, (token: string) => void] {
  const [token, setToken] = useState(() => readStored(KEY) ?? '')
  const set = (next: string) => {
    const trimmed = next.trim()
    writeStored(KEY, trimmed || undefined)
    setToken(trimmed)
  }
  return [token, set]
}
