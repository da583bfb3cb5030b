/**
 * TOTP (RFC 6238) on HOTP (RFC 4226) with node:crypto: HMAC-SHA1, 6 digits, 30-second steps,
 * what every authenticator app (Google Authenticator, 1Password, Aegis, ...) uses by default.
 * Written here rather than taken from a library because it is these forty lines and a base32
 * codec; `totp.test.ts` checks them against the RFC's test vectors.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto'

export const STEP_S = 30
export const DIGITS = 6
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'

/** RFC 4648 base32 without padding (the form otpauth URIs and authenticator apps take). */
export function base32Encode(buf: Uint8Array): string {
  let bits = 0
  let value = 0
  let out = ''
  for (const byte of buf) {
    value = (value << 8) | byte
    bits += 8
    while (bits >= 5) {
      out += ALPHABET[(value >>> (bits - 5)) & 31]
      bits -= 5
    }
  }
  if (bits > 0) out += ALPHABET[(value << (5 - bits)) & 31]
  return out
}

export function base32Decode(text: string): Buffer {
  const clean = text.replace(/[\s=-]/g, '').toUpperCase()
  const out: number[] = []
  let bits = 0
  let value = 0
  for (const ch of clean) {
    const v = ALPHABET.indexOf(ch)
    if (v < 0) throw new Error('not base32')
    value = (value << 5) | v
    bits += 5
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 255)
      bits -= 8
    }
  }
  return Buffer.from(out)
}

/** A new shared secret: 160 bits (RFC 4226 recommends the HMAC-SHA1 output size), base32. */
export function newTotpSecret(): string {
  return base32Encode(randomBytes(20))
}

/** HOTP value of `counter` (RFC 4226 section 5.3, dynamic truncation). */
export function hotp(key: Buffer, counter: number, digits = DIGITS): string {
  const msg = Buffer.alloc(8)
  msg.writeBigUInt64BE(BigInt(counter))
  const mac = createHmac('sha1', key).update(msg).digest()
  const offset = mac[mac.length - 1]! & 0xf
  const code = (mac.readUInt32BE(offset) & 0x7fffffff) % 10 ** digits
  return String(code).padStart(digits, '0')
}

/** The time step of `atMs`. */
export function stepAt(atMs: number): number {
  return Math.floor(atMs / 1000 / STEP_S)
}

/** The code of the base32 `secret` at `atMs` (what the app shows). */
export function totp(secret: string, atMs: number, digits = DIGITS): string {
  return hotp(base32Decode(secret), stepAt(atMs), digits)
}

/**
 * The time step whose code `code` is, looking one step either side of now (RFC 6238 section 5.2:
 * clock drift and the seconds a person takes to type); undefined when none matches. The caller
 * refuses a step at or before the last one accepted, so a code works once.
 */
export function matchStep(secret: string, code: string, atMs: number, window = 1): number | undefined {
  if (!/^\d{6}$/.test(code)) return undefined
  const key = base32Decode(secret)
  const now = stepAt(atMs)
  for (let s = now - window; s <= now + window; s++) {
    if (timingSafeEqual(Buffer.from(hotp(key, s)), Buffer.from(code))) return s
  }
  return undefined
}

/** The otpauth:// URI authenticator apps import (Key Uri Format). */
export function otpauthUri(secret: string, issuer: string, account: string): string {
  const label = `${encodeURIComponent(issuer)}:${encodeURIComponent(account)}`
  const q = new URLSearchParams({ secret, issuer, algorithm: 'SHA1', digits: String(DIGITS), period: '30' })
  return `otpauth://totp/${label}?${q}`
}
