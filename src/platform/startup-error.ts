/**
 * A reason the process cannot start that the operator can fix (a busy port,
 * a data folder in use or not writable). `serve` and the CLI print its
 * message as one line on stderr and exit 2, as for a configuration error.
 */
export class StartupError extends Error {
  override name = 'StartupError'

  /** `variable`: the setting to look at (PORT, DATA_DIR, ...), named in the message too. */
  constructor(
    message: string,
    readonly variable?: string,
  ) {
    super(message)
  }
}

/** Exit code of a process that could not start for a reason its operator can fix. */
export const STARTUP_EXIT_CODE = 2

/**
 * A listener that could not bind, as one line naming the variables to change:
 * `portVar` (PORT, RATE_LIMITER_GRPC_PORT) and `hostVar` for a bad address.
 * Other errors are returned unchanged. Works on Node's errors (`code`) and
 * grpc-js's (the code only in the message).
 */
export function listenError(
  err: unknown,
  where: { portVar: string; hostVar: string; host: string; port: number },
): unknown {
  const e = err as NodeJS.ErrnoException
  const code = e?.code ?? /\b(EADDRINUSE|EACCES|EADDRNOTAVAIL|ENOTFOUND)\b/.exec(String(e?.message))?.[1]
  const at = `${where.portVar} ${where.port} on ${where.host}`
  switch (code) {
    case 'EADDRINUSE':
      return new StartupError(
        `${at} is in use by another process (EADDRINUSE): stop it, or set ${where.portVar} to a free port (0 picks one)`,
        where.portVar,
      )
    case 'EACCES':
      return new StartupError(
        `${at} needs privileges this process lacks (EACCES): set ${where.portVar} to 1024 or above`,
        where.portVar,
      )
    case 'EADDRNOTAVAIL':
    case 'ENOTFOUND':
      return new StartupError(
        `${where.hostVar} ${where.host} is not an address of this machine (${code}): use 127.0.0.1, 0.0.0.0 or one of its addresses`,
        where.hostVar,
      )
    default:
      return err
  }
}
