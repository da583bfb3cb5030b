/**
 * platform/auth: trusting the auth system's (or any OIDC issuer's) access tokens offline. See
 * docs/platform.md ("Access tokens") for the design; `tokenAuth` is what a system adds to its routes.
 */
export { IssuerUnavailable } from './key-source.js'
export { findLocalIssuer, type LocalIssuer, localIssuerUnder, registerLocalIssuer } from './local-issuers.js'
export { missingScopes, type Principal, principalOf } from './principal.js'
export { tokenSettings, verifierFromSettings } from './settings.js'
export {
  insufficientScope,
  requireScope,
  type TokenAuthOptions,
  tokenAuth,
  tokenSchemeName,
} from './token-auth.js'
export { DEFAULT_ALGORITHMS, TokenVerifier, type VerifierOptions, type VerifyResult } from './verifier.js'
