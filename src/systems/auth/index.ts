/**
 * Auth: an OpenID Provider (OpenID Connect, OAuth 2.1) on panva's
 * oidc-provider, with its storage, accounts, login pages and signing keys
 * here. The system's parts load on first use (`server.ts`, `parts.ts`), so
 * that a process running other systems never loads the provider. Read
 * README.md first, then server.ts (the wiring).
 */
import { defineSystem } from '../../platform/system.js'
import { commands } from './cli.js'
import { MAIL_QUEUE } from './mail-queue.js'
import { PREFIX } from './paths.js'
import { settings } from './settings.js'

export default defineSystem({
  name: 'auth',
  description: 'OpenID Connect provider: sign-in, OAuth 2.1 tokens (JWT), clients, accounts, signing keys',
  prefix: PREFIX,
  migrations: new URL('./sql/', import.meta.url),
  settings,
  // Mail goes out through a job enqueued with the write that causes it (password reset links).
  jobs: { queues: { [MAIL_QUEUE]: { concurrency: 4, maxAttempts: 8, backoffBaseMs: 5_000 } } },

  async create(ctx) {
    const { createAuth } = await import('./server.js')
    return createAuth(ctx)
  },

  commands: commands(async (ctx) => (await import('./parts.js')).partsFor(ctx)),
})
