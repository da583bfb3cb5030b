/** Which hosts and addresses are private, in every spelling. */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { ipAddressOf, isLocalName, isPrivateAddress, isPrivateHost, parseIPv4 } from './address-policy.js'

describe('parseIPv4', () => {
  it.each([
    ['127.0.0.1', '127.0.0.1'],
    ['2130706433', '127.0.0.1'],
    ['0x7f000001', '127.0.0.1'],
    ['0177.0.0.1', '127.0.0.1'],
    ['0x7f.1', '127.0.0.1'],
    ['127.1', '127.0.0.1'],
    ['10.1.258', '10.1.1.2'],
    ['0', '0.0.0.0'],
    ['0x', '0.0.0.0'],
    ['192.168.0.1.', '192.168.0.1'],
    ['0XA.0.0.1', '10.0.0.1'],
    ['4294967295', '255.255.255.255'],
  ])('%s is %s', (host, dotted) => {
    expect(parseIPv4(host)).toBe(dotted)
  })

  it.each([
    '',
    '.',
    'example.com',
    '1.2.3.4.5',
    '256.0.0.1',
    '1.2.3.256',
    '4294967296',
    '09.0.0.1',
    '0x1g',
    '1..2',
    '1.2.3.-4',
  ])('%j is not an IPv4 address', (host) => {
    expect(parseIPv4(host)).toBeUndefined()
  })

  it('reads any 32-bit value written in decimal, hex or octal as the same address', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 32 - 1 }), (n) => {
        const dotted = [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.')
        expect(parseIPv4(String(n))).toBe(dotted)
        expect(parseIPv4(`0x${n.toString(16)}`)).toBe(dotted)
        expect(parseIPv4(`0${n.toString(8)}`)).toBe(dotted)
        expect(parseIPv4(dotted)).toBe(dotted)
      }),
    )
  })

  it('agrees with the WHATWG URL parser on hosts of 1 to 4 numeric parts in mixed radices', () => {
    const part = fc.tuple(fc.integer({ min: 0, max: 300 }), fc.constantFrom(8, 10, 16))
    fc.assert(
      fc.property(fc.array(part, { minLength: 1, maxLength: 4 }), fc.boolean(), (parts, trailingDot) => {
        const host =
          parts
            .map(([n, radix]) =>
              radix === 16 ? `0x${n.toString(16)}` : radix === 8 ? `0${n.toString(8)}` : String(n),
            )
            .join('.') + (trailingDot ? '.' : '')
        let expected: string | undefined
        try {
          expected = new URL(`http://${host}/`).hostname
        } catch {
          expected = undefined
        }
        expect(parseIPv4(host)).toBe(expected)
      }),
    )
  })
})

describe('ipAddressOf', () => {
  it.each([
    ['[::1]', '::1'],
    ['::1', '::1'],
    ['[FE80::1%eth0]', 'fe80::1%eth0'],
    ['0x7f.1', '127.0.0.1'],
    ['10.0.0.1', '10.0.0.1'],
    ['example.com', undefined],
    ['localhost', undefined],
    ['[not-v6]', undefined],
  ])('%s -> %s', (host, address) => {
    expect(ipAddressOf(host)).toBe(address)
  })
})

describe('isPrivateAddress', () => {
  it.each([
    '127.0.0.1',
    '127.255.255.254',
    '10.1.2.3',
    '172.16.0.1',
    '172.31.255.255',
    '192.168.1.1',
    '169.254.169.254',
    '100.64.0.1',
    '0.0.0.0',
    '224.0.0.1',
    '255.255.255.255',
    '192.0.2.1',
    '2130706433',
    '0177.0.0.1',
    '0x7f.1',
    '127.1',
    '::1',
    '[::1]',
    '::',
    'fc00::1',
    'fd12:3456::1',
    'fe80::1',
    'fe80::1%eth0',
    'ff02::1',
    '2001:db8::1',
    '::ffff:127.0.0.1',
    '::ffff:7f00:1',
    '[::ffff:10.0.0.1]',
    '::ffff:a9fe:a9fe',
    '::127.0.0.1',
    '::ffff:0:127.0.0.1',
    '64:ff9b::7f00:1',
    '64:ff9b::192.168.0.1',
    '64:ff9b:1::a9fe:a9fe',
    '2002:7f00:1::1',
    '2002:a9fe:a9fe::',
    '2001:0:4136:e378:8000:63bf:80ff:fffe',
    'example.com',
    '',
  ])('%s is private', (address) => {
    expect(isPrivateAddress(address)).toBe(true)
  })

  it.each([
    '8.8.8.8',
    '93.184.215.14',
    '172.32.0.1',
    '100.128.0.1',
    '2001:4860:4860::8888',
    '[2606:4700::1111]',
    '::ffff:8.8.8.8',
    '::ffff:808:808',
    '64:ff9b::808:808',
    '2002:808:808::1',
    '2001:0:4136:e378:8000:63bf:f7f7:f7f7',
    '134744072',
  ])('%s is public', (address) => {
    expect(isPrivateAddress(address)).toBe(false)
  })
})

describe('isLocalName', () => {
  it.each([
    ['localhost', true],
    ['LOCALHOST.', true],
    ['api.localhost', true],
    ['printer.local', true],
    ['db.internal', true],
    ['router.home.arpa', true],
    ['box.localdomain.', true],
    ['example.com', false],
    ['localhost.example.com', false],
    ['notlocal', false],
  ])('%s -> %s', (host, expected) => {
    expect(isLocalName(host)).toBe(expected)
  })
})

describe('isPrivateHost', () => {
  it.each([
    ['8.8.8.8', false],
    ['example.com', false],
    ['example.com.', false],
    ['[2001:4860::8888]', false],
    ['192.168.0.10', true],
    ['[::1]', true],
    ['[::ffff:7f00:1]', true],
    ['0x7f.1', true],
    ['2130706433', true],
    ['017700000001', true],
    ['localhost', true],
    ['localhost.', true],
    ['intranet', true],
    ['printer.local.', true],
    ['example.0x', true],
    ['example.999', true],
    ['1.2.3.4.5', true],
    ['', true],
    ['[bad]', true],
  ])('%s -> %s', (host, expected) => {
    expect(isPrivateHost(host)).toBe(expected)
  })
})
