/**
 * Which systems this server runs. The OpenAPI document tags every route
 * with its system and lists one tag per running system (plus `platform`),
 * with the system's description, so it is the list without a new endpoint.
 */
import { requestJson } from '../api/http'

export interface SystemInfo {
  readonly name: string
  readonly description: string
}

/** The tags of /openapi.json that are systems (every tag but `platform`). */
export function systemsOfOpenApi(doc: unknown): SystemInfo[] {
  const tags = (doc as { tags?: unknown } | null)?.tags
  if (!Array.isArray(tags)) return []
  return tags
    .filter((t): t is { name: string; description?: unknown } => typeof t?.name === 'string')
    .filter((t) => t.name !== 'platform')
    .map((t) => ({ name: t.name, description: typeof t.description === 'string' ? t.description : '' }))
}

/** Fetch the running systems. */
export async function fetchSystems(signal?: AbortSignal): Promise<SystemInfo[]> {
  return systemsOfOpenApi(await requestJson<unknown>('/openapi.json', { signal }))
}
