/** A JSON call to a real server process's `/inventory` routes (the multi-process tests). */

// biome-ignore lint/suspicious/noExplicitAny: JSON answers, checked by the assertions
export type Json = any

/** `method path` under `${url}/inventory`, with a JSON body when given; status and parsed body. */
export async function call(url: string, method: string, path: string, body?: unknown) {
  const res = await fetch(`${url}/inventory${path}`, {
    method,
    headers: body !== undefined ? { 'content-type': 'application/json' } : {},
    ...(body !== undefined && { body: JSON.stringify(body) }),
    signal: AbortSignal.timeout(60_000),
  })
  const text = await res.text()
  return { status: res.status, body: (text ? JSON.parse(text) : undefined) as Json }
}

/** The first errors the processes logged (level 50), to show beside a failed assertion. */
export function loggedErrors(procs: { stdout: () => string }[]): string {
  return procs
    .flatMap((p) =>
      p
        .stdout()
        .split('\n')
        .filter((l) => l.includes('"level":50'))
        .slice(0, 2),
    )
    .map((l) => l.slice(0, 600))
    .join('\n')
}
