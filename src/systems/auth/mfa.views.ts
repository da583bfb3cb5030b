/**
 * The second-factor pages of a sign-in: the code form, the enrolment (the secret to type or the
 * otpauth link to open in an authenticator app, then a first code), and the recovery codes shown
 * once. Same layout, escaping and CSP as the other pages (`views.ts`): no script, no images.
 */
import { escapeHtml, layout } from './views.js'

function errorLine(error: string | undefined): string {
  return error ? `<p class="error" role="alert">${escapeHtml(error)}</p>` : ''
}

function codeInput(label: string, hint: string): string {
  return `<label for="code">${escapeHtml(label)}</label>
<p id="code-hint">${escapeHtml(hint)}</p>
<input id="code" name="code" type="text" inputmode="text" autocomplete="one-time-code" required maxlength="20" aria-describedby="code-hint" autofocus>`
}

export interface MfaView {
  action: string
  csrf: string
  clientName: string
  error?: string | undefined
  /** The passkey form (`webauthn.views.ts`) when the account has a passkey. */
  passkey?: string | undefined
}

/** Asks an enrolled account for a code from its app, or one of its recovery codes. */
export function mfaPage(v: MfaView): string {
  return layout(
    'Two-step verification',
    `<h1>Two-step verification</h1><p>to continue to <strong>${escapeHtml(v.clientName)}</strong></p>
${errorLine(v.error)}
<form method="post" action="${escapeHtml(v.action)}">
<input type="hidden" name="csrf" value="${escapeHtml(v.csrf)}">
${codeInput('Code', 'The 6-digit code your authenticator app shows, or one of your recovery codes.')}
<button type="submit">Verify</button>
</form>
${v.passkey ?? ''}`,
  )
}

export interface EnrolView extends MfaView {
  secret: string
  otpauthUri: string
}

/** Enrolment: add the account to an authenticator app, then prove it with a first code. */
export function enrolPage(v: EnrolView): string {
  const grouped = v.secret.replace(/(.{4})/g, '$1 ').trim()
  return layout(
    'Set up two-step verification',
    `<h1>Set up two-step verification</h1>
<p>Your account needs a second step at sign-in. Add it to an authenticator app (for example Google
Authenticator, 1Password or Aegis): open <a href="${escapeHtml(v.otpauthUri)}">this link</a> on the
device that has the app, or type this key in the app (time-based, 6 digits, 30 seconds):</p>
<p><code id="secret">${escapeHtml(grouped)}</code></p>
${errorLine(v.error)}
<form method="post" action="${escapeHtml(v.action)}">
<input type="hidden" name="csrf" value="${escapeHtml(v.csrf)}">
${codeInput('Code', 'Then type the 6-digit code the app shows for it.')}
<button type="submit">Turn on</button>
</form>`,
  )
}

export interface RecoveryCodesView {
  action: string
  csrf: string
  /** Shown once; undefined when the page is shown again (they are not kept). */
  codes?: string[] | undefined
}

/** The recovery codes, once, with the button that finishes the sign-in. */
export function recoveryCodesPage(v: RecoveryCodesView): string {
  const list = v.codes
    ? `<p>Keep these recovery codes somewhere safe. Each one signs you in once if you lose the
device with the app. They are shown only now.</p>
<ol class="codes">${v.codes.map((c) => `<li><code>${escapeHtml(c)}</code></li>`).join('')}</ol>`
    : '<p>Your recovery codes were shown when you turned it on; they are not shown again.</p>'
  return layout(
    'Two-step verification is on',
    `<h1>Two-step verification is on</h1>
${list}
<form method="post" action="${escapeHtml(v.action)}">
<input type="hidden" name="csrf" value="${escapeHtml(v.csrf)}">
<button type="submit">Continue</button>
</form>`,
  )
}
