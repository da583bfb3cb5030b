/**
 * The API key the page sends, kept in this browser's localStorage so a
 * person pastes it once. (It is a secret: the console never prints it, and
 * the field that takes it is a password field.)
 */
import { useState } from 'react'
import { readStored, writeStored } from '../../ui/storage'

const KEY = 'blueprints.url-shortener.apiKey'

/** The stored key and a setter that stores (or, with '', forgets) it. */
export function useApiKey(): [string, (key: string) => void] {
  const [key, setKey] = useState(() => readStored(KEY) ?? '')
  const set = (next: string) => {
    const trimmed = next.trim()
    writeStored(KEY, trimmed || undefined)
    setKey(trimmed)
  }
  return [key, set]
}
