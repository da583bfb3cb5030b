/**
 * Web Push end to end: a subscriber's browser subscription (a P-256 key pair and an auth secret
 * made here, as a browser makes them) points at a local push service. Each push it receives is
 * checked as a push service and a service worker would: the VAPID JWT verified (ES256, with the
 * key in the `k=` parameter, which is our published public key, audience the endpoint's origin),
 * then the body decrypted per RFC 8291 / RFC 8188 (aes128gcm) with the subscriber's private key.
 * A subscription the push service answers 410 for is removed.
 */
import { createDecipheriv, createECDH, hkdfSync, randomBytes } from 'node:crypto'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { importJWK, jwtVerify } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { App } from '../../platform/testing/app.js'
import { backends } from '../../platform/testing/backends.js'
import { waitFor } from '../../platform/testing/wait.js'
import { auth, notificationsApp } from './testing.js'

/** RFC 8291: decrypt an aes128gcm push body with the user agent's key pair and auth secret. */
function decrypt(body: Buffer, ua: ReturnType<typeof createECDH>, authSecret: Buffer): string {
  const salt = body.subarray(0, 16)
  const idlen = body[20]!
  const asPublic = body.subarray(21, 21 + idlen)
  const ciphertext = body.subarray(21 + idlen)
  const ecdhSecret = ua.computeSecret(asPublic)
  const keyInfo = Buffer.concat([Buffer.from('WebPush: info\0'), ua.getPublicKey(), asPublic])
  const ikm = Buffer.from(hkdfSync('sha256', ecdhSecret, authSecret, keyInfo, 32))
  const cek = Buffer.from(hkdfSync('sha256', ikm, salt, Buffer.from('Content-Encoding: aes128gcm\0'), 16))
  const nonce = Buffer.from(hkdfSync('sha256', ikm, salt, Buffer.from('Content-Encoding: nonce\0'), 12))
  const decipher = createDecipheriv('aes-128-gcm', cek, nonce)
  decipher.setAuthTag(ciphertext.subarray(ciphertext.length - 16))
  const padded = Buffer.concat([
    decipher.update(ciphertext.subarray(0, ciphertext.length - 16)),
    decipher.final(),
  ])
  // The last record ends with the delimiter 0x02, then zero padding.
  let end = padded.length - 1
  while (end >= 0 && padded[end] === 0) end--
  expect(padded[end]).toBe(2)
  return padded.subarray(0, end).toString('utf8')
}

describe.each(backends())('notifications web push (%s)', (backend) => {
  let app: App
  let server: Server
  let port = 0
  const received: { path: string; jwtAud: string; key: string; text: string }[] = []
  const ua = createECDH('prime256v1')
  ua.generateKeys()
  const authSecret = randomBytes(16)
  const call = async (method: string, url: string, payload?: unknown) => {
    const res = await app.http.inject({
      method: method as 'GET',
      url,
      payload: payload as object,
      headers: auth,
    })
    return { status: res.statusCode, body: res.body ? res.json() : undefined }
  }

  beforeAll(async () => {
    server = createServer((req, res) => {
      const chunks: Buffer[] = []
      req.on('data', (d) => chunks.push(d))
      req.on('end', async () => {
        if (req.url?.startsWith('/gone')) return void res.writeHead(410).end()
        try {
          expect(req.headers['content-encoding']).toBe('aes128gcm')
          const m = /^vapid t=([^,]+), k=(.+)$/.exec(String(req.headers.authorization))!
          const raw = Buffer.from(m[2]!, 'base64url')
          const key = await importJWK(
            {
              kty: 'EC',
              crv: 'P-256',
              x: raw.subarray(1, 33).toString('base64url'),
              y: raw.subarray(33, 65).toString('base64url'),
            },
            'ES256',
          )
          const { payload } = await jwtVerify(m[1]!, key)
          const text = decrypt(Buffer.concat(chunks), ua, authSecret)
          received.push({ path: req.url ?? '', jwtAud: String(payload.aud), key: m[2]!, text })
          res.writeHead(201).end()
        } catch {
          res.writeHead(400).end()
        }
      })
    })
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    port = (server.address() as AddressInfo).port
    app = await notificationsApp(backend, { NOTIFICATIONS_ALLOWED_TARGETS: `127.0.0.1:${port}` })
    await call('PUT', '/notifications/v1/subscribers/ann', {})
    await call('PUT', '/notifications/v1/workflows/push', {
      steps: [
        { channel: 'push', subject: 'Hello {{payload.who}}', body: 'You have {{payload.n}} new <things>' },
      ],
    })
  }, 120_000)
  afterAll(async () => {
    await app?.close()
    await new Promise((r) => server?.close(r))
  })

  it('sends each push encrypted for the subscription and signed with our VAPID key', async () => {
    const keys = { p256dh: ua.getPublicKey().toString('base64url'), auth: authSecret.toString('base64url') }
    expect(
      (
        await call('POST', '/notifications/v1/subscribers/ann/push-subscriptions', {
          endpoint: `http://127.0.0.1:${port}/push/ann`,
          keys,
        })
      ).status,
    ).toBe(201)
    expect(
      (
        await call('POST', '/notifications/v1/subscribers/ann/push-subscriptions', {
          endpoint: `http://127.0.0.1:${port}/gone/1`,
          keys,
        })
      ).status,
    ).toBe(201)
    const vapid = (await call('GET', '/notifications/v1/push/vapid-public-key')).body.publicKey as string
    const t = await call('POST', '/notifications/v1/events/trigger', {
      name: 'push',
      to: 'ann',
      payload: { who: 'Ann', n: 3 },
    })
    await waitFor('the push', () => received.length >= 1, 60_000)
    const msg = JSON.parse(received[0]!.text)
    expect(msg).toMatchObject({
      title: 'Hello Ann',
      body: 'You have 3 new <things>',
      data: { who: 'Ann', n: 3 },
    })
    expect(msg.id).toMatch(/^msg_/)
    expect(received[0]!.key).toBe(vapid)
    expect(received[0]!.jwtAud).toBe(`http://127.0.0.1:${port}`)
    await waitFor('the delivery recorded', async () => {
      const s = await call('GET', `/notifications/v1/events/${t.body.transactionId}`)
      return s.body.deliveries[0]?.status === 'sent'
    })
    // The gone subscription was removed; the live one stays.
    const { rows } = await app.db.query<{ endpoint: string }>(
      `SELECT endpoint FROM ${app.config.dbSchemaPrefix}notifications.push_subscriptions`,
    )
    expect(rows.map((r) => r.endpoint)).toEqual([`http://127.0.0.1:${port}/push/ann`])
  }, 120_000)
})
