/**
 * Password hashing and policy. argon2id at OWASP's recommended parameters
 * (m = 19 MiB, t = 2, p = 1); a hash made with other parameters verifies and
 * is then rehashed (`needsRehash`). A new password is refused when it is
 * short, when it is the email, or when it is on the shipped list of common
 * and breached passwords.
 */
import { readFileSync } from 'node:fs'
import { type Algorithm, hash, parseOptions, verify } from '@node-rs/argon2'

/** `Algorithm.Argon2id` (a const enum, which this build cannot import as a value). */
const ARGON2ID = 2 as Algorithm

export interface HashParams {
  memoryCost: number
  timeCost: number
  parallelism: number
}

/** OWASP Password Storage Cheat Sheet, argon2id: m=19456 KiB, t=2, p=1. */
export const OWASP_PARAMS: HashParams = { memoryCost: 19_456, timeCost: 2, parallelism: 1 }

export const MIN_PASSWORD_LENGTH = 8
export const MAX_PASSWORD_LENGTH = 1000

let common: Set<string> | undefined
function commonPasswords(): Set<string> {
  common ??= new Set(
    readFileSync(new URL('./common-passwords.txt', import.meta.url), 'utf8')
      .split('\n')
      .map((l) => l.trim().toLowerCase())
      .filter((l) => l && !l.startsWith('#')),
  )
  return common
}

export class PasswordHasher {
  constructor(private readonly params: HashParams = OWASP_PARAMS) {}

  hash(password: string): Promise<string> {
    return hash(password, { algorithm: ARGON2ID, ...this.params })
  }

  /** Whether `password` matches `stored`; false (not an error) for a malformed hash. */
  async verify(stored: string, password: string): Promise<boolean> {
    try {
      return await verify(stored, password)
    } catch {
      return false
    }
  }

  /** Whether `stored` was made with other parameters than this hasher's (rehash it at the next login). */
  needsRehash(stored: string): boolean {
    try {
      const o = parseOptions(stored)
      return (
        o.algorithm !== ARGON2ID ||
        o.memoryCost !== this.params.memoryCost ||
        o.timeCost !== this.params.timeCost ||
        o.parallelism !== this.params.parallelism
      )
    } catch {
      return true
    }
  }
}

/** Why a new password is refused, or undefined when it is acceptable. */
export function passwordProblem(password: string, email?: string): string | undefined {
  if (password.length < MIN_PASSWORD_LENGTH) return `must have at least ${MIN_PASSWORD_LENGTH} characters`
  if (password.length > MAX_PASSWORD_LENGTH) return `must have at most ${MAX_PASSWORD_LENGTH} characters`
  const lower = password.toLowerCase()
  if (email && (lower === email.toLowerCase() || lower === email.split('@')[0]?.toLowerCase()))
    return 'must not be the email address'
  if (commonPasswords().has(lower)) return 'is a common or breached password; choose another'
  return undefined
}
