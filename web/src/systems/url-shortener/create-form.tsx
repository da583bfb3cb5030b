/**
 * Shorten a URL. The server validates (it is the one that knows the rules:
 * schemes, private addresses, slug characters, slugs in use); when it
 * refuses, its message appears next to the field it names.
 */
import { type FormEvent, useState } from 'react'
import { ApiError } from '../../api/http'
import { Field } from '../../ui/field'
import type { CreateShortUrl, ShortUrl } from './api'
import { createFormErrors } from './field-errors'

export interface CreateFormProps {
  create: (body: CreateShortUrl) => Promise<ShortUrl>
  onCreated: (link: ShortUrl) => void
}

const FIELDS = ['longUrl', 'customSlug', 'tags'] as const

/** The create form. */
export function CreateForm({ create, onCreated }: CreateFormProps) {
  const [longUrl, setLongUrl] = useState('')
  const [customSlug, setCustomSlug] = useState('')
  const [tags, setTags] = useState('')
  const [busy, setBusy] = useState(false)
  const [errors, setErrors] = useState<Record<string, string>>({})
  const [formError, setFormError] = useState<string>()
  const [created, setCreated] = useState<ShortUrl>()

  const submit = async (e: FormEvent) => {
    e.preventDefault()
    setBusy(true)
    setErrors({})
    setFormError(undefined)
    setCreated(undefined)
    const body: CreateShortUrl = { longUrl: longUrl.trim() }
    if (customSlug.trim()) body.customSlug = customSlug.trim()
    const tagList = tags
      .split(',')
      .map((t) => t.trim())
      .filter(Boolean)
    if (tagList.length > 0) body.tags = tagList
    try {
      const link = await create(body)
      setCreated(link)
      setLongUrl('')
      setCustomSlug('')
      setTags('')
      onCreated(link)
    } catch (err) {
      const byField = err instanceof ApiError && err.problem ? createFormErrors(err.problem) : {}
      setErrors(byField)
      // A refusal that names none of these fields (a bad key, a server error) is shown for the whole form.
      if (!FIELDS.some((f) => byField[f])) setFormError((err as Error).message)
    } finally {
      setBusy(false)
    }
  }

  return (
    <form className="card" onSubmit={submit} aria-labelledby="create-heading" noValidate>
      <h2 id="create-heading">Shorten a URL</h2>
      <div className="form-grid">
        <Field
          label="Long URL"
          name="longUrl"
          type="url"
          required
          placeholder="https://example.com/a/long/path"
          value={longUrl}
          onChange={(e) => setLongUrl(e.target.value)}
          error={errors.longUrl}
        />
        <Field
          label="Custom slug (optional)"
          name="customSlug"
          value={customSlug}
          onChange={(e) => setCustomSlug(e.target.value)}
          error={errors.customSlug}
        />
        <Field
          label="Tags (optional, comma-separated)"
          name="tags"
          value={tags}
          onChange={(e) => setTags(e.target.value)}
          error={errors.tags}
        />
      </div>
      {formError && (
        <p className="form-error" role="alert">
          {formError}
        </p>
      )}
      <div className="actions">
        <button type="submit" disabled={busy}>
          {busy ? 'Shortening…' : 'Shorten'}
        </button>
        {created && (
          <output className="success">
            Created <a href={created.shortUrl}>{created.shortUrl}</a>
          </output>
        )}
      </div>
    </form>
  )
}
