/** TOTP against RFC 6238's test vectors (Appendix B, SHA-1) and the base32 codec against RFC 4648's. */
import { describe, expect, it } from 'vitest'
import { base32Decode, base32Encode, hotp, matchStep, otpauthUri, totp } from './totp.js'

const SECRET = base32Encode(Buffer.from('12345678901234567890'))

describe('totp', () => {
  it('encodes base32 as RFC 4648 section 10 does (without padding)', () => {
    const cases: [string, string][] = [
      ['f', 'MY'],
      ['fo', 'MZXQ'],
      ['foo', 'MZXW6'],
      ['foob', 'MZXW6YQ'],
      ['fooba', 'MZXW6YTB'],
      ['foobar', 'MZXW6YTBOI'],
    ]
    for (const [plain, encoded] of cases) {
      expect(base32Encode(Buffer.from(plain))).toBe(encoded)
      expect(base32Decode(encoded).toString()).toBe(plain)
    }
    expect(SECRET).toBe('GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ')
    expect(base32Decode('gezd gnbv-gy3t')).toEqual(base32Decode('GEZDGNBVGY3T'))
    expect(() => base32Decode('GEZ1')).toThrow()
  })

  it('gives the RFC 6238 codes (8 digits) at the RFC times', () => {
    const vectors: [number, string][] = [
      [59, '94287082'],
      [1111111109, '07081804'],
      [1111111111, '14050471'],
      [1234567890, '89005924'],
      [2000000000, '69279037'],
      [20000000000, '65353130'],
    ]
    for (const [t, code] of vectors) expect(totp(SECRET, t * 1000, 8)).toBe(code)
    // RFC 4226 appendix D: HOTP of the same key, counters 0 and 9.
    expect(hotp(Buffer.from('12345678901234567890'), 0)).toBe('755224')
    expect(hotp(Buffer.from('12345678901234567890'), 9)).toBe('520489')
  })

  it('matches a code one step either side of now, and no further', () => {
    const now = 1_700_000_000_000
    const step = Math.floor(now / 30_000)
    expect(matchStep(SECRET, totp(SECRET, now), now)).toBe(step)
    expect(matchStep(SECRET, totp(SECRET, now - 30_000), now)).toBe(step - 1)
    expect(matchStep(SECRET, totp(SECRET, now + 30_000), now)).toBe(step + 1)
    expect(matchStep(SECRET, totp(SECRET, now - 60_000), now)).toBeUndefined()
    expect(matchStep(SECRET, totp(SECRET, now + 60_000), now)).toBeUndefined()
    for (const bad of ['', '12345', '1234567', 'abcdef', ' 123456'])
      expect(matchStep(SECRET, bad, now)).toBeUndefined()
  })

  it('builds the otpauth URI authenticator apps import', () => {
    const uri = new URL(otpauthUri(SECRET, 'auth.example', 'ann@example.com'))
    expect(uri.protocol).toBe('otpauth:')
    expect(uri.host).toBe('totp')
    expect(decodeURIComponent(uri.pathname)).toBe('/auth.example:ann@example.com')
    expect(Object.fromEntries(uri.searchParams)).toEqual({
      secret: SECRET,
      issuer: 'auth.example',
      algorithm: 'SHA1',
      digits: '6',
      period: '30',
    })
  })
})
