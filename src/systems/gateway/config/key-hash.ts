/**
 * API keys are kept as SHA-256 digests (hex), never as given: a leaked database or config dump
 * does not hand out working keys. A fast hash fits here, unlike for passwords: keys the gateway
 * generates are 256 random bits (nothing to guess), and the proxy hashes the presented key on every
 * request, where a slow KDF would cost milliseconds each.
 */
import { createHash, randomBytes } from 'node:crypto'

export function hashKey(key: string): string {
  return createHash('sha256').update(key).digest('hex')
}

/** A new random key (43 url-safe characters, 256 bits), for a credential created without one. */
export function newKey(): string {
  return randomBytes(32).toString('base64url')
}
