/**
 * Issuers running in this process. The auth system registers itself here when it starts, so that
 * a verifier whose issuer it is reads the published keys from memory instead of fetching its own
 * JWKS over HTTP (same installation, same process: no round trip, no start-up ordering problem).
 * The registry holds functions, read at each use: the issuer URL becomes known at listen, and the
 * keys change at each rotation.
 */
import type { JWK } from 'jose'

export interface LocalIssuer {
  /** The issuer identifier (`iss` of its tokens). */
  issuer(): string
  /** The public keys it publishes now (its JWKS document). */
  jwks(): { keys: JWK[] }
  /** Reread the keys (another process may have rotated them); called on an unknown `kid`. */
  refresh?(): Promise<void>
}

const registered = new Set<LocalIssuer>()

/** Register an issuer of this process; returns the function that unregisters it. */
export function registerLocalIssuer(issuer: LocalIssuer): () => void {
  registered.add(issuer)
  return () => void registered.delete(issuer)
}

/** The registered issuer whose identifier is `iss`, if any. */
export function findLocalIssuer(iss: string): LocalIssuer | undefined {
  for (const i of registered) if (i.issuer() === iss) return i
  return undefined
}

/**
 * The issuer of this installation when one runs in this process: the registered issuer under
 * `publicUrl` (several apps share a process in tests, each with its own URL).
 */
export function localIssuerUnder(publicUrl: string): string | undefined {
  const base = `${publicUrl.replace(/\/+$/, '')}/`
  for (const i of registered) {
    const iss = i.issuer()
    if (iss.startsWith(base)) return iss
  }
  return undefined
}
