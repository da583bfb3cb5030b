/**
 * The device authorization grant (RFC 8628) with openid-client, as a CLI uses it: the CLI asks
 * for a code and polls; a person types the code at /auth/device in a browser, confirms, signs in
 * and consents; the CLI's poll then gets the tokens. A wrong code is refused on the page.
 */
import * as oidc from 'openid-client'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { backends } from '../../platform/testing/backends.js'
import { ADMIN, type AuthTestApp, authApp, Browser, cli, discover, formOf } from './testing.js'

describe.each(backends())('device flow (%s)', (backend) => {
  let t: AuthTestApp
  let cliClient: string
  beforeAll(async () => {
    t = await authApp(backend)
    const lines = await cli(t, 'client create', [
      '--name',
      'Blueprints CLI',
      '--public',
      '--grant',
      'device_code,refresh_token',
    ])
    cliClient = lines[1]!.replace('client_id: ', '')
  })
  afterAll(() => t.close())

  it('signs a CLI in with a code typed in the browser', async () => {
    const config = await discover(t, cliClient, undefined, oidc.None())
    const device = await oidc.initiateDeviceAuthorization(config, { scope: 'openid offline_access' })
    expect(device.verification_uri).toBe(`${t.issuer}/device`)
    expect(device.user_code).toMatch(/^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$/)
    const polled = oidc.pollDeviceAuthorizationGrant(config, device)

    const browser = new Browser()
    const input = await browser.follow(device.verification_uri)
    const inputHtml = await input.res.text()
    expect(input.res.headers.get('content-security-policy')).toContain("default-src 'none'")
    const inputForm = formOf(inputHtml, input.url)
    // A wrong code first: the page says so.
    const wrong = await browser.follow(inputForm.action, {
      form: { ...inputForm.fields, user_code: 'BCDF-GHJK' },
    })
    expect(await wrong.res.text()).toContain('That code is not right')

    const again = formOf(
      await (await browser.follow(device.verification_uri)).res.text(),
      device.verification_uri,
    )
    const confirm = await browser.follow(again.action, {
      form: { ...again.fields, user_code: device.user_code },
    })
    const confirmHtml = await confirm.res.text()
    expect(confirmHtml).toContain('Blueprints CLI')
    expect(confirmHtml).toContain(device.user_code)
    const confirmForm = formOf(confirmHtml, confirm.url)
    let { res, url } = await browser.follow(confirmForm.action, { form: confirmForm.fields })
    // Login, then consent, then the success page.
    for (let step = 0; step < 3; step++) {
      const html = await res.text()
      if (html.includes('Device connected')) break
      const form = formOf(html, url)
      const fields = html.includes('name="password"')
        ? { ...form.fields, email: ADMIN.email, password: ADMIN.password }
        : { ...form.fields, decision: 'allow' }
      ;({ res, url } = await browser.follow(form.action, { form: fields }))
    }
    expect(res.status).toBe(200)

    const tokens = await polled
    expect(tokens.claims()!.aud).toBe(cliClient)
    expect(tokens.refresh_token).toBeTruthy()
    const refreshed = await oidc.refreshTokenGrant(config, tokens.refresh_token!)
    expect(refreshed.access_token).toBeTruthy()
  }, 60_000)
})
