/**
 * Organisations end to end: the admin API (organisations, roles, members, invitations), access
 * tokens asked for an organisation with `organization=<id>` through openid-client carrying
 * `org_id`, `org_roles` and `permissions` (verified by platform/auth as a resource server would),
 * a role change applied at the next refresh, a removed member's refresh refused, a non-member
 * refused at consent; an invitation mailed (SMTP sink on loopback) and accepted by a new person
 * (account made, policy applied) and by an existing account; links used once, revoked links dead.
 */
import fc from 'fast-check'
import * as oidc from 'openid-client'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { TokenVerifier } from '../../platform/auth/index.js'
import { backends } from '../../platform/testing/backends.js'
import {
  type AuthTestApp,
  authApp,
  Browser,
  CC_CLIENT,
  discover,
  formOf,
  REDIRECT,
  signIn,
  webClient,
} from './testing.js'
import { linkIn, type MailSink, mailSink } from './testing.mail.js'

const PASSWORD = 'a long passphrase for orgs'

describe.each(backends())('organisations (%s)', (backend) => {
  let t: AuthTestApp
  let smtp: MailSink
  let admin: string
  let web: { id: string; secret: string }
  let verifier: TokenVerifier
  beforeAll(async () => {
    smtp = await mailSink()
    t = await authApp(backend, { AUTH_SMTP_URL: smtp.url, AUTH_REFRESH_REUSE_GRACE_MS: '0' })
    admin = (
      await oidc.clientCredentialsGrant(await discover(t, CC_CLIENT.id, CC_CLIENT.secret), { scope: 'admin' })
    ).access_token
    web = await webClient(t)
    verifier = new TokenVerifier({ issuer: t.issuer, audience: t.base, algorithms: ['RS256'] })
  }, 180_000)
  afterAll(async () => {
    await t?.close()
    await smtp?.close()
  })

  async function api(method: string, path: string, body?: unknown) {
    const res = await fetch(`${t.issuer}/admin${path}`, {
      method,
      headers: {
        authorization: `Bearer ${admin}`,
        ...(body !== undefined && { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    })
    const text = await res.text()
    return { status: res.status, body: text ? JSON.parse(text) : undefined }
  }

  /** A code flow for `organization` (and the default audience: a JWT); tokens, or the error. */
  async function codeFlow(email: string, organization?: string, browser = new Browser(), prompt = 'consent') {
    const config = await discover(t, web.id, web.secret)
    const verifierCode = oidc.randomPKCECodeVerifier()
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: REDIRECT,
      scope: 'openid offline_access api:read',
      resource: t.base,
      ...(prompt && { prompt }),
      code_challenge: await oidc.calculatePKCECodeChallenge(verifierCode),
      code_challenge_method: 'S256',
      state: 's',
      ...(organization !== undefined && { organization }),
    })
    const callback = await signIn(browser, url, { email, password: PASSWORD })
    if (callback.searchParams.get('error'))
      return {
        error: callback.searchParams.get('error')!,
        description: callback.searchParams.get('error_description'),
      }
    const tokens = await oidc.authorizationCodeGrant(config, callback, {
      pkceCodeVerifier: verifierCode,
      expectedState: 's',
    })
    return { tokens, config }
  }
  const claimsOf = async (accessToken: string) => {
    const r = await verifier.verify(accessToken)
    if (!r.ok) throw new Error(`the access token does not verify: ${JSON.stringify(r)}`)
    return r.principal.claims as Record<string, unknown>
  }

  let orgId: string
  let billing: string
  let viewer: string
  let annId: string

  it('creates an organisation and its roles; refuses bad ones', async () => {
    const org = await api('POST', '/orgs', { name: 'Acme' })
    expect(org.status).toBe(201)
    orgId = org.body.id
    expect(await api('GET', `/orgs/${orgId}`)).toMatchObject({ status: 200, body: { name: 'Acme' } })
    const b = await api('POST', `/orgs/${orgId}/roles`, {
      name: 'billing',
      permissions: ['invoices:write', 'invoices:read', 'invoices:read'],
    })
    expect(b).toMatchObject({ status: 201, body: { name: 'billing' } })
    expect(b.body.permissions.sort()).toEqual(['invoices:read', 'invoices:write'])
    billing = b.body.id
    viewer = (await api('POST', `/orgs/${orgId}/roles`, { name: 'viewer', permissions: ['invoices:read'] }))
      .body.id
    expect(
      (await api('POST', `/orgs/${orgId}/roles`, { name: 'viewer', permissions: [] })).body,
    ).toMatchObject({
      code: 'AUTH_ROLE_EXISTS',
    })
    expect(
      (await api('POST', `/orgs/${orgId}/roles`, { name: 'x', permissions: ['has space'] })).status,
    ).toBe(400)
    expect(
      (await api('GET', `/orgs/${orgId}/roles`)).body.items.map((r: { name: string }) => r.name),
    ).toEqual(['billing', 'viewer'])
    expect((await api('GET', '/orgs/org_nope')).body).toMatchObject({ code: 'AUTH_ORG_NOT_FOUND' })
    const other = (await api('POST', '/orgs', { name: 'Other' })).body.id
    const foreign = (await api('POST', `/orgs/${other}/roles`, { name: 'r', permissions: [] })).body.id
    annId = (
      await api('POST', '/users', { email: 'ann@example.com', password: PASSWORD, emailVerified: true })
    ).body.id
    expect((await api('PUT', `/orgs/${orgId}/members/${annId}`, { roleIds: [foreign] })).body).toMatchObject({
      code: 'AUTH_INVALID_ROLE',
    })
    expect((await api('PUT', `/orgs/${orgId}/members/nobody`, { roleIds: [] })).body).toMatchObject({
      code: 'AUTH_USER_NOT_FOUND',
    })
  })

  it('gives a member tokens for the organisation, with its permissions, refreshed as roles change', async () => {
    expect((await api('PUT', `/orgs/${orgId}/members/${annId}`, { roleIds: [billing] })).status).toBe(204)
    const members = (await api('GET', `/orgs/${orgId}/members`)).body.items
    expect(members).toEqual([
      expect.objectContaining({ userId: annId, roles: [{ id: billing, name: 'billing' }] }),
    ])

    const r = await codeFlow('ann@example.com', orgId)
    expect(r.tokens).toBeTruthy()
    const claims = await claimsOf(r.tokens!.access_token)
    expect(claims).toMatchObject({
      sub: annId,
      org_id: orgId,
      org_roles: ['billing'],
      permissions: ['invoices:read', 'invoices:write'],
    })
    // Roles change: the next refresh carries the new permissions.
    await api('PATCH', `/orgs/${orgId}/roles/${billing}`, {
      permissions: ['invoices:read', 'refunds:create'],
    })
    const refreshed = await oidc.refreshTokenGrant(r.config!, r.tokens!.refresh_token!)
    expect(await claimsOf(refreshed.access_token)).toMatchObject({
      org_id: orgId,
      permissions: ['invoices:read', 'refunds:create'],
    })
    // Removed: the refresh is refused, not answered with a token for no organisation.
    expect((await api('DELETE', `/orgs/${orgId}/members/${annId}`)).status).toBe(204)
    await expect(oidc.refreshTokenGrant(r.config!, refreshed.refresh_token!)).rejects.toMatchObject({
      error: 'invalid_grant',
    })
    // Not a member: refused at consent.
    expect(await codeFlow('ann@example.com', orgId)).toMatchObject({ error: 'access_denied' })
    // No organisation asked: a token without org claims.
    const plain = await codeFlow('ann@example.com')
    expect((await claimsOf(plain.tokens!.access_token)).org_id).toBeUndefined()
    // A malformed organisation parameter is the client's error.
    expect(await codeFlow('ann@example.com', 'not an id')).toMatchObject({ error: 'invalid_request' })
  })

  it('invites a new person by mail: the link makes the account (policy applies) and the membership, once', async () => {
    const inv = await api('POST', `/orgs/${orgId}/invitations`, {
      email: 'nia@example.com',
      roleIds: [viewer],
    })
    expect(inv).toMatchObject({ status: 201, body: { email: 'nia@example.com', status: 'pending' } })
    const mail = await smtp.waitFor('nia@example.com')
    expect(mail.subject).toBe('You are invited to join Acme')
    const link = linkIn(mail, '/auth/invitations/accept?token=')
    const browser = new Browser()
    const page = await browser.follow(link)
    const html = await page.res.text()
    expect(html).toContain('Join Acme')
    expect(html).toContain('name="password"')
    const form = formOf(html, page.url)
    const weak = await browser.request(form.action, { form: { ...form.fields, password: 'password' } })
    expect(weak.status).toBe(400)
    expect(await weak.text()).toContain('The password')
    const ok = await browser.request(form.action, { form: { ...form.fields, password: PASSWORD } })
    expect(ok.status).toBe(200)
    expect(await ok.text()).toContain('Invitation accepted')
    // Used once.
    expect(
      (await browser.request(form.action, { form: { ...form.fields, password: PASSWORD } })).status,
    ).toBe(400)
    expect((await browser.request(link)).status).toBe(400)

    const nia = (await api('GET', '/users?email=nia@')).body.items[0]
    expect(nia).toMatchObject({ email: 'nia@example.com', emailVerified: true })
    const r = await codeFlow('nia@example.com', orgId)
    expect(await claimsOf(r.tokens!.access_token)).toMatchObject({
      org_id: orgId,
      permissions: ['invoices:read'],
    })
    expect((await api('GET', `/orgs/${orgId}/invitations`)).body.items[0]).toMatchObject({
      status: 'accepted',
    })
  })

  it('asks again when the same session asks for another organisation, and never reuses the grant for it', async () => {
    const other = (await api('POST', '/orgs', { name: 'Second' })).body.id
    const browser = new Browser()
    const first = await codeFlow('nia@example.com', orgId, browser)
    expect(await claimsOf(first.tokens!.access_token)).toMatchObject({ org_id: orgId })
    // Same browser, same client, no prompt asked: the grant exists, but for orgId. The consent
    // step comes back (organization_not_granted), and Nia is no member of the other one.
    expect(await codeFlow('nia@example.com', other, browser, '')).toMatchObject({ error: 'access_denied' })
    // Asking for orgId again needs no consent (the grant is for it).
    const again = await codeFlow('nia@example.com', orgId, browser, '')
    expect(await claimsOf(again.tokens!.access_token)).toMatchObject({ org_id: orgId })
  })

  it('invites an existing account (no password asked), and a revoked invitation is dead', async () => {
    await api('POST', `/orgs/${orgId}/invitations`, { email: 'ANN@example.com', roleIds: [viewer] })
    const link = linkIn(await smtp.waitFor('ann@example.com'), '/auth/invitations/accept?token=')
    const browser = new Browser()
    const page = await browser.follow(link)
    const html = await page.res.text()
    expect(html).not.toContain('name="password"')
    const form = formOf(html, page.url)
    expect((await browser.request(form.action, { form: form.fields })).status).toBe(200)
    const r = await codeFlow('ann@example.com', orgId)
    expect(await claimsOf(r.tokens!.access_token)).toMatchObject({ org_roles: ['viewer'] })

    const revoked = await api('POST', `/orgs/${orgId}/invitations`, { email: 'zed@example.com', roleIds: [] })
    expect((await api('DELETE', `/orgs/${orgId}/invitations/${revoked.body.id}`)).status).toBe(204)
    expect((await api('DELETE', `/orgs/${orgId}/invitations/${revoked.body.id}`)).body).toMatchObject({
      code: 'AUTH_INVITATION_NOT_FOUND',
    })
    const dead = linkIn(await smtp.waitFor('zed@example.com'), '/auth/invitations/accept?token=')
    expect((await new Browser().request(dead)).status).toBe(400)
    const events = (
      await api('GET', '/audit?event=org.invitation_sent,org.invitation_accepted,org.invitation_revoked')
    ).body.items
    expect(events.map((e: { event: string }) => e.event)).toEqual(
      expect.arrayContaining(['org.invitation_sent', 'org.invitation_accepted', 'org.invitation_revoked']),
    )
  })

  it('lists organisations in cursor pages', async () => {
    for (let i = 0; i < 3; i++) await api('POST', '/orgs', { name: `Page ${i}` })
    const seen: string[] = []
    let cursor: string | undefined
    do {
      const page = await api('GET', `/orgs?limit=2${cursor ? `&cursor=${cursor}` : ''}`)
      expect(page.status).toBe(200)
      seen.push(...page.body.items.map((o: { id: string }) => o.id))
      cursor = page.body.nextCursor
    } while (cursor)
    expect(new Set(seen).size).toBe(seen.length)
    expect(seen.length).toBeGreaterThanOrEqual(5)
    expect((await api('GET', '/orgs?cursor=bogus')).body).toMatchObject({ code: 'AUTH_INVALID_CURSOR' })
  })

  it('answers random bodies and ids on the organisation routes with 2xx or 4xx, never 5xx (property)', async () => {
    const text = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 120 }),
      fc.constantFrom("' OR 1=1 --", '\u0000', 'a\r\nb'),
    )
    const value = fc.oneof(
      text,
      fc.integer(),
      fc.boolean(),
      fc.constant(null),
      fc.array(text, { maxLength: 5 }),
    )
    const body = fc.dictionary(fc.constantFrom('name', 'permissions', 'roleIds', 'email', 'extra'), value)
    const route = fc.constantFrom(
      (_id: string) => ['POST', '/orgs'] as const,
      (id: string) => ['PATCH', `/orgs/${id}`] as const,
      (id: string) => ['POST', `/orgs/${id}/roles`] as const,
      (id: string) => ['PUT', `/orgs/${id}/members/${annId}`] as const,
      (id: string) => ['POST', `/orgs/${id}/invitations`] as const,
      (id: string) => ['GET', `/orgs/${id}/members`] as const,
    )
    const id = fc.oneof(
      fc.constant(orgId),
      text.map((s) => encodeURIComponent(s) || 'x'),
    )
    await fc.assert(
      fc.asyncProperty(route, id, body, async (r, orgOrJunk, b) => {
        const [method, path] = r(orgOrJunk)
        const res = await api(method, path, method === 'GET' ? undefined : b)
        expect(
          res.status,
          `${method} ${path} ${JSON.stringify(b)} -> ${JSON.stringify(res.body)}`,
        ).toBeLessThan(500)
        if (res.status >= 400) expect(res.body.code, JSON.stringify(res.body)).toBeTruthy()
      }),
      { numRuns: 50 },
    )
  }, 180_000)
})
