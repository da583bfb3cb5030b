/**
 * The passkey parts of the pages: a form with a button that runs the WebAuthn ceremony and posts
 * its result, and the one script that does it. The script is static (the same bytes on every
 * page), so the Content-Security-Policy allows it by its hash and nothing else runs; the
 * ceremony's options travel in a JSON data block, which browsers never execute. Without
 * JavaScript the button stays hidden and the password and code forms work as before.
 *
 * It uses WebAuthn Level 3's JSON helpers (`PublicKeyCredential.parse...FromJSON`, `toJSON`),
 * in every current browser.
 */
import { createHash } from 'node:crypto'
import { escapeHtml } from './views.js'

const SCRIPT = `for (const b of document.querySelectorAll('button[data-webauthn]')) {
  b.hidden = false
  b.addEventListener('click', async () => {
    const f = b.form
    const status = f.querySelector('[role=status]')
    const options = JSON.parse(document.getElementById(b.dataset.options).textContent)
    try {
      const c = b.dataset.webauthn === 'create'
        ? await navigator.credentials.create({ publicKey: PublicKeyCredential.parseCreationOptionsFromJSON(options) })
        : await navigator.credentials.get({ publicKey: PublicKeyCredential.parseRequestOptionsFromJSON(options) })
      f.elements.response.value = JSON.stringify(c.toJSON())
      f.submit()
    } catch (err) {
      status.textContent = 'The passkey did not work (' + err.name + '). Try again, or use another way.'
    }
  })
}`

/** The script element every passkey page ends with. */
export const WEBAUTHN_SCRIPT_TAG = `<script>${SCRIPT}</script>`
/** Its CSP source expression (without quotes). */
export const WEBAUTHN_SCRIPT_HASH = `sha256-${createHash('sha256').update(SCRIPT).digest('base64')}`

/** JSON for a `<script type="application/json">` block: `<` escaped so it cannot close the element. */
function jsonBlock(id: string, value: unknown): string {
  return `<script type="application/json" id="${escapeHtml(id)}">${JSON.stringify(value).replaceAll('<', '\\u003c')}</script>`
}

export interface PasskeyFormView {
  /** Where the response is posted. */
  action: string
  csrf: string
  /** The ceremony's options (from @simplewebauthn/server). */
  options: unknown
  mode: 'create' | 'get'
  label: string
  /** Extra form fields (a name for a new passkey). */
  extra?: string
  /** Unique per page when a page has several passkey forms. */
  id?: string
}

/**
 * A form that runs the ceremony on its button and posts `response` (the credential as JSON),
 * followed by the script: one passkey form per page.
 */
export function passkeyForm(v: PasskeyFormView): string {
  const id = `webauthn-options${v.id ? `-${v.id}` : ''}`
  return `<form method="post" action="${escapeHtml(v.action)}">
<input type="hidden" name="csrf" value="${escapeHtml(v.csrf)}">
<input type="hidden" name="response" value="">
${v.extra ?? ''}${jsonBlock(id, v.options)}
<button type="button" data-webauthn="${v.mode}" data-options="${escapeHtml(id)}" hidden>${escapeHtml(v.label)}</button>
<p role="status"></p>
</form>
${WEBAUTHN_SCRIPT_TAG}`
}
