/**
 * oidc-provider, loaded with the one warning it prints at import on Node.js 20 ("Unsupported
 * runtime") filtered out: it would otherwise be the first line of every start and break the
 * one-line startup errors. The suite runs on Node.js 20 here; the README says which runtime the
 * library supports. Any other warning goes through. Every file of the system takes the library's
 * values from here (types may come from 'oidc-provider' directly).
 */
const warn = console.warn
console.warn = (...args: unknown[]) => {
  if (typeof args[0] === 'string' && args[0].includes('oidc-provider WARNING: Unsupported runtime')) return
  warn(...args)
}
const lib = await import('oidc-provider').finally(() => {
  console.warn = warn
})

export const Provider = lib.default
export const errors = lib.errors
export const interactionPolicy = lib.interactionPolicy
