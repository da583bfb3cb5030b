/**
 * Self-service sign-up: an email and a password (the policy applies, common and breached
 * passwords included), then a verification link by mail. The answer is the same whether or not
 * the email has an account, after the same work (an argon2id hash either way): an existing
 * account's owner gets a mail saying so (with the link to reset the password) instead of a second
 * account, so the page cannot be used to find out who has one. Limited per IP.
 */

import type { Db, Queryable } from '../../platform/db/port.js'
import { AppError } from '../../platform/errors.js'
import type { SystemJobs } from '../../platform/jobs/declaration.js'
import type { RateLimiter } from '../../platform/rate-limit/index.js'
import type { Accounts } from './accounts.js'
import type { AuditLog } from './audit.js'
import type { EmailVerifications } from './email-verification.js'
import { MAIL_QUEUE, SEND_MAIL_TASK } from './mail.js'
import { passwordProblem } from './passwords.js'

export interface SignUpOptions {
  db: Db
  jobs: SystemJobs
  accounts: Accounts
  verifications: EmailVerifications
  audit: AuditLog
  throttle: RateLimiter
  /** The "forgot my password" page, for the mail to an existing account. */
  forgotUrl: () => string
}

export type SignUpResult = { ok: true } | { ok: false; retryAfterMs: number } | { ok: false; problem: string }

const EMAIL = /^[^\s@]{1,64}@[^\s@]{1,255}$/

export class SignUps {
  constructor(private readonly o: SignUpOptions) {}

  async signUp(emailIn: string, password: string, ip: string): Promise<SignUpResult> {
    const email = emailIn.trim()
    if (!EMAIL.test(email)) return { ok: false, problem: 'That is not an email address.' }
    const problem = passwordProblem(password, email)
    if (problem) return { ok: false, problem: `The password ${problem}.` }
    const decision = await this.o.throttle.consume(ip)
    if (!decision.allowed) return { ok: false, retryAfterMs: Math.max(decision.retryAfterMs, 1000) }
    try {
      const user = await this.o.accounts.create({ email, password })
      await this.o.audit.record({ event: 'user.signed_up', userId: user.id, ip })
      // After the account is committed, as for accounts the admin makes; a failure here leaves an
      // unverified account whose owner can ask for the link again by signing up again.
      await this.o.verifications.send(user.id)
      return { ok: true }
    } catch (err) {
      if (!(err instanceof AppError) || err.code !== 'AUTH_EMAIL_TAKEN') {
        if (err instanceof AppError && err.code === 'AUTH_INVALID_USER')
          return { ok: false, problem: err.message }
        throw err
      }
    }
    // The email has an account: the same page, a mail to its owner, and no second account.
    const existing = await this.o.accounts.byEmail(email)
    if (existing && !existing.emailVerified && !existing.disabled) {
      await this.o.verifications.send(existing.id)
    } else if (existing && !existing.disabled) {
      await this.o.db.tx(async (tx: Queryable) => {
        await this.o.jobs.addJob(tx, MAIL_QUEUE, {
          task: SEND_MAIL_TASK,
          payload: {
            to: existing.email,
            subject: 'You already have an account',
            text:
              `Someone (you?) tried to sign up with ${existing.email}, which already has an account.\n\n` +
              `Sign in from the application, or choose a new password here:\n${this.o.forgotUrl()}\n\n` +
              'If it was not you, ignore this mail: nothing has changed.\n',
          },
        })
        await this.o.audit.record({ event: 'user.signup_existing', userId: existing.id, ip }, tx)
      })
    }
    return { ok: true }
  }
}
