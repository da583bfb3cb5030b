/**
 * The account page: what a signed-in person manages themselves. Their second factors (the
 * authenticator app, passkeys, recovery codes) and the browsers signed in to their account. Plain
 * forms like the sign-in pages (same layout, escaping and CSP); the one passkey form runs the
 * ceremony's hashed script.
 */
import type { PasskeyInfo } from './passkeys.js'
import type { SessionInfo } from './sessions.js'
import { escapeHtml, layout } from './views.js'

export interface AccountView {
  base: string
  csrf: string
  email: string
  /** The account has a second factor but this session signed in without one: factors are read-only. */
  stepUpUrl?: string | undefined
  totp: { on: true } | { on: false; secret: string; otpauthUri: string }
  passkeys: PasskeyInfo[]
  /** The passkey registration form (`webauthn.views.ts`); absent while factors are read-only. */
  addPasskey?: string | undefined
  recoveryLeft: number
  sessions: SessionInfo[]
  currentSession: string
  notice?: string | undefined
  error?: string | undefined
  /** Recovery codes made by this request, shown once. */
  codes?: string[] | undefined
}

const when = (d: Date | null) => (d ? escapeHtml(d.toISOString().replace('T', ' ').slice(0, 16)) : 'never')

function button(v: AccountView, action: string, label: string, extra = ''): string {
  return `<form method="post" action="${escapeHtml(`${v.base}${action}`)}" class="inline">
<input type="hidden" name="csrf" value="${escapeHtml(v.csrf)}">${extra}<button type="submit" class="secondary">${escapeHtml(label)}</button></form>`
}

function factors(v: AccountView): string {
  const ro = v.stepUpUrl !== undefined
  const totp = v.totp.on
    ? `<p>Authenticator app: <strong>on</strong></p>${ro ? '' : button(v, '/totp/delete', 'Remove the authenticator app')}`
    : ro
      ? '<p>Authenticator app: off</p>'
      : `<p>Authenticator app: off. To turn it on, open <a href="${escapeHtml(v.totp.otpauthUri)}">this link</a>
on the device with the app, or type this key in it: <code id="secret">${escapeHtml(v.totp.secret.replace(/(.{4})/g, '$1 ').trim())}</code></p>
<form method="post" action="${escapeHtml(`${v.base}/totp`)}">
<input type="hidden" name="csrf" value="${escapeHtml(v.csrf)}">
<label for="code">Code from the app</label>
<input id="code" name="code" type="text" inputmode="numeric" autocomplete="one-time-code" required maxlength="6">
<button type="submit">Turn on</button>
</form>`
  const keys = v.passkeys.length
    ? `<ul id="passkeys">${v.passkeys
        .map(
          (p) =>
            `<li><strong>${escapeHtml(p.name)}</strong>, added ${when(p.createdAt)}, last used ${when(p.lastUsedAt)}${
              ro
                ? ''
                : button(
                    v,
                    '/passkeys/delete',
                    `Remove ${p.name}`,
                    `<input type="hidden" name="id" value="${escapeHtml(p.id)}">`,
                  )
            }</li>`,
        )
        .join('')}</ul>`
    : '<p>No passkeys.</p>'
  const codes = `<p>Recovery codes left: <strong id="recovery-left">${v.recoveryLeft}</strong></p>${
    ro || (!v.totp.on && v.passkeys.length === 0)
      ? ''
      : button(v, '/recovery-codes', 'Make new recovery codes')
  }`
  return `<h2>Two-step verification</h2>
${ro ? `<p class="error" role="alert">To change these, <a href="${escapeHtml(v.stepUpUrl!)}">sign in again with your second factor</a>.</p>` : ''}
${totp}<h3>Passkeys</h3>${keys}${v.addPasskey ?? ''}<h3>Recovery codes</h3>${codes}`
}

function sessions(v: AccountView): string {
  const rows = v.sessions
    .map(
      (s) =>
        `<li>Signed in ${when(s.loginAt)}${s.uid === v.currentSession ? ' (<strong>this browser</strong>)' : ''}${
          s.clients.length ? `, to ${s.clients.map(escapeHtml).join(', ')}` : ''
        }${button(v, '/sessions/revoke', 'Sign out', `<input type="hidden" name="uid" value="${escapeHtml(s.uid)}">`)}</li>`,
    )
    .join('')
  return `<h2>Where you are signed in</h2><ul id="sessions">${rows}</ul>${button(v, '/sessions/revoke-all', 'Sign out everywhere')}`
}

/** The account page of a signed-in person. */
export function accountPage(v: AccountView): string {
  const codes = v.codes
    ? `<div role="status"><p>Your new recovery codes, shown only now. Keep them somewhere safe; each signs you in once.</p>
<ol class="codes">${v.codes.map((c) => `<li><code>${escapeHtml(c)}</code></li>`).join('')}</ol></div>`
    : ''
  return layout(
    'Your account',
    `<h1>Your account</h1><p>Signed in as <strong>${escapeHtml(v.email)}</strong></p>
${v.error ? `<p class="error" role="alert">${escapeHtml(v.error)}</p>` : ''}${v.notice ? `<p role="status">${escapeHtml(v.notice)}</p>` : ''}${codes}
${factors(v)}
${sessions(v)}`,
  )
}

/** The account page without a session: a link that signs in. */
export function accountSignInPage(loginUrl: string): string {
  return layout(
    'Your account',
    `<h1>Your account</h1><p>Sign in to manage your second factors and where you are signed in.</p>
<p><a href="${escapeHtml(loginUrl)}">Sign in</a></p>`,
  )
}
