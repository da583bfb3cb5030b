/**
 * The URL shortener's page: paste an API key, shorten URLs, see the newest
 * ones and their visits over time. It speaks the system's public API
 * (Shlink REST v3), as any other Shlink client would.
 */
import { useState } from 'react'
import { ErrorBox } from '../../ui/error-box'
import type { SystemPageProps } from '../registry'
import { shlinkApi } from './api'
import { useApiKey } from './api-key'
import { ApiKeyForm } from './api-key-form'
import { CreateForm } from './create-form'
import { LinksTable } from './links-table'
import { useShortUrls } from './use-short-urls'
import { VisitsChart } from './visits-chart'

/** The page. */
export default function UrlShortenerPage(_props: SystemPageProps) {
  const [apiKey, setApiKey] = useApiKey()
  const [selected, setSelected] = useState<string>()
  const data = useShortUrls(apiKey, selected)
  // A 401 is about the key: say so under the key field rather than as a page error.
  const keyError = data.error?.status === 401 ? data.error.message : undefined
  const otherError = data.error && !keyError ? data.error : undefined

  return (
    <div className="stack">
      <ApiKeyForm apiKey={apiKey} onSave={setApiKey} error={keyError} />
      {!apiKey ? (
        <p className="muted">Paste an API key to list and create short URLs.</p>
      ) : keyError ? null : (
        <>
          {otherError && (
            <ErrorBox title="The short URLs could not be loaded" onRetry={data.reload}>
              {otherError.message}
            </ErrorBox>
          )}
          <CreateForm create={(body) => shlinkApi(apiKey).create(body)} onCreated={data.reload} />
          {data.visits && <VisitsChart visits={data.visits} total={data.totalVisits} of={selected} />}
          <section className="card" aria-labelledby="links-heading">
            <div className="section-head">
              <h2 id="links-heading">Short URLs</h2>
              <button type="button" className="secondary" onClick={data.reload}>
                Refresh
              </button>
            </div>
            {data.links ? (
              <LinksTable
                links={data.links}
                total={data.totalLinks}
                selected={selected}
                onSelect={setSelected}
              />
            ) : (
              !otherError && <p className="muted">Loading…</p>
            )}
          </section>
        </>
      )}
    </div>
  )
}
