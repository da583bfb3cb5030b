/**
 * The HTML pages (login, consent, sign out, errors): plain server-rendered
 * forms that work without JavaScript, every value escaped, served with a
 * strict Content-Security-Policy: no script (except the passkey ceremony's
 * one script, allowed by its hash on the pages that offer a passkey:
 * `webauthn.views.ts`), only the one inline stylesheet below (allowed by its
 * hash), forms posting only to this origin and to the origin the flow
 * returns to, no framing.
 */
import { createHash } from 'node:crypto'

const STYLE = `body{font:16px/1.5 system-ui,sans-serif;margin:0;background:#f4f5f7;color:#1d1f23}
main{max-width:26rem;margin:4rem auto;padding:2rem;background:#fff;border-radius:8px;box-shadow:0 1px 4px #0002}
h1{font-size:1.4rem;margin-top:0}label{display:block;margin:.8rem 0 .2rem;font-weight:600}
input[type=email],input[type=password],input[type=text]{width:100%;box-sizing:border-box;padding:.5rem;font-size:1rem;border:1px solid #888;border-radius:4px}
button{margin-top:1.2rem;padding:.55rem 1.2rem;font-size:1rem;border-radius:4px;border:1px solid #1a56db;background:#1a56db;color:#fff;cursor:pointer}
button.secondary{background:#fff;color:#1a56db;margin-left:.5rem}
code{font-size:1.05rem;word-break:break-all}ol.codes{font-family:monospace;font-size:1.1rem}
.error{background:#fde8e8;border:1px solid #f05252;padding:.6rem;border-radius:4px}ul{padding-left:1.2rem}
:focus-visible{outline:3px solid #f59e0b;outline-offset:2px}`

const STYLE_HASH = `'sha256-${createHash('sha256').update(STYLE).digest('base64')}'`

/** Escape text for HTML element content and double-quoted attributes. */
export function escapeHtml(value: unknown): string {
  return String(value ?? '')
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;')
}

/**
 * The Content-Security-Policy of a page whose forms may lead to `formOrigins` (besides this origin);
 * `scriptHash`: the one inline script the page may run (the passkey ceremony), none otherwise.
 */
export function contentSecurityPolicy(formOrigins: readonly string[] = [], scriptHash?: string): string {
  // form-action also governs the redirects that follow a submission (the login form's POST ends
  // in a redirect to the client), so the client's origin is listed too.
  const forms = ["'self'", ...formOrigins.filter((o) => /^https?:\/\/[^\s;,']+$/.test(o))].join(' ')
  return [
    "default-src 'none'",
    `style-src ${STYLE_HASH}`,
    ...(scriptHash ? [`script-src '${scriptHash}'`] : []),
    `form-action ${forms}`,
    "frame-ancestors 'none'",
    "base-uri 'none'",
  ].join('; ')
}

/** Headers every page carries. */
export function pageHeaders(
  formOrigins: readonly string[] = [],
  scriptHash?: string,
): Record<string, string> {
  return {
    'content-type': 'text/html; charset=utf-8',
    'content-security-policy': contentSecurityPolicy(formOrigins, scriptHash),
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'x-frame-options': 'DENY',
  }
}

/** A whole page around `body` (already escaped HTML). */
export function layout(title: string, body: string): string {
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title><style>${STYLE}</style></head>
<body><main>${body}</main></body></html>`
}

export interface LoginView {
  action: string
  csrf: string
  clientName: string
  email?: string
  error?: string
  /** The "forgot my password" page, when mail is set up. */
  forgotUrl?: string
  /** The sign-up page, when people may make their own account. */
  signUpUrl?: string
  /** The passkey sign-in form (`webauthn.views.ts`), shown when JavaScript runs. */
  passkey?: string
}

export function loginPage(v: LoginView): string {
  return layout(
    'Sign in',
    `<h1>Sign in</h1><p>to continue to <strong>${escapeHtml(v.clientName)}</strong></p>
${v.error ? `<p class="error" role="alert">${escapeHtml(v.error)}</p>` : ''}
<form method="post" action="${escapeHtml(v.action)}">
<input type="hidden" name="csrf" value="${escapeHtml(v.csrf)}">
<label for="email">Email</label>
<input id="email" name="email" type="email" autocomplete="username" required maxlength="320" value="${escapeHtml(v.email ?? '')}"${v.email ? '' : ' autofocus'}>
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required maxlength="1000"${v.email ? ' autofocus' : ''}>
<button type="submit">Sign in</button>
</form>
${v.passkey ?? ''}
${v.forgotUrl ? `<p><a href="${escapeHtml(v.forgotUrl)}">Forgot your password?</a></p>` : ''}
${v.signUpUrl ? `<p>No account? <a href="${escapeHtml(v.signUpUrl)}">Create one</a>.</p>` : ''}`,
  )
}

export interface ConsentView {
  action: string
  abortAction: string
  csrf: string
  clientName: string
  scopes: string[]
  audiences: string[]
  /** The organisation the tokens are asked for. */
  organisation?: string | undefined
}

export function consentPage(v: ConsentView): string {
  const items = v.scopes.map((s) => `<li>${escapeHtml(s)}</li>`).join('')
  const apis = v.audiences.length
    ? `<p>for use at:</p><ul>${v.audiences.map((a) => `<li>${escapeHtml(a)}</li>`).join('')}</ul>`
    : ''
  const org = v.organisation
    ? `<p>in the organisation <strong>${escapeHtml(v.organisation)}</strong></p>`
    : ''
  return layout(
    'Allow access',
    `<h1>Allow access?</h1><p><strong>${escapeHtml(v.clientName)}</strong> asks for:</p><ul>${items}</ul>${org}${apis}
<form method="post" action="${escapeHtml(v.action)}">
<input type="hidden" name="csrf" value="${escapeHtml(v.csrf)}">
<button type="submit" name="decision" value="allow">Allow</button>
<button type="submit" name="decision" value="deny" class="secondary">Deny</button>
</form>`,
  )
}

export function errorPage(title: string, lines: Record<string, unknown>): string {
  const rows = Object.entries(lines)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `<p><strong>${escapeHtml(k)}</strong>: ${escapeHtml(v)}</p>`)
    .join('')
  return layout(title, `<h1>${escapeHtml(title)}</h1><div class="error" role="alert">${rows}</div>`)
}

/** The sign-out confirmation; `form` is oidc-provider's form (its action and xsrf field), without a button. */
export function logoutPage(form: string, clientName: string | undefined): string {
  return layout(
    'Sign out',
    `<h1>Sign out?</h1><p>${clientName ? `<strong>${escapeHtml(clientName)}</strong> asks to sign you out.` : 'Do you want to sign out?'}</p>
${form}
<button type="submit" form="op.logoutForm" name="logout" value="yes">Sign out</button>
<button type="submit" form="op.logoutForm" class="secondary">Stay signed in</button>`,
  )
}

export function loggedOutPage(clientName: string | undefined): string {
  return layout(
    'Signed out',
    `<h1>Signed out</h1><p>${clientName ? `You are signed out of ${escapeHtml(clientName)}.` : 'You are signed out.'}</p>`,
  )
}

/** Device flow: the page where a user types the code their device shows; `form` is the provider's. */
export function deviceInputPage(form: string, error: string | undefined): string {
  return layout(
    'Connect a device',
    `<h1>Connect a device</h1>${error ? `<p class="error" role="alert">${escapeHtml(error)}</p>` : '<p>Enter the code your device shows.</p>'}
${form.replace('<input ', '<label for="user_code">Code</label><input id="user_code" ')}
<button type="submit" form="op.deviceInputForm">Continue</button>`,
  )
}

/** Device flow: confirm that the code on the device is this one. */
export function deviceConfirmPage(form: string, clientName: string, userCode: string): string {
  return layout(
    'Confirm the device',
    `<h1>Confirm the device</h1><p><strong>${escapeHtml(clientName)}</strong> asks to sign in. Your device should show:</p>
<p><strong>${escapeHtml(userCode)}</strong></p><p>If it does not, or you did not start this, abort.</p>
${form}
<button type="submit" form="op.deviceConfirmForm">Continue</button>
<button type="submit" form="op.deviceConfirmForm" name="abort" value="yes" class="secondary">Abort</button>`,
  )
}

export function deviceSuccessPage(clientName: string | undefined): string {
  return layout(
    'Device connected',
    `<h1>Device connected</h1><p>${clientName ? `${escapeHtml(clientName)} is signed in.` : 'The device is signed in.'} You can close this page.</p>`,
  )
}
