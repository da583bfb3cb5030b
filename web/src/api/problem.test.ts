import { describe, expect, it } from 'vitest'
import { asProblem, fieldErrors, problemMessage } from './problem'

describe('problem+json', () => {
  it('recognises problem documents and says their detail, else their title', () => {
    expect(asProblem({ title: 'Bad Request', status: 400 })).toBeDefined()
    expect(asProblem([1])).toBeUndefined()
    expect(asProblem({ shortUrls: [] })).toBeUndefined()
    expect(problemMessage({ title: 'Bad Request', detail: 'body/longUrl is required' })).toBe(
      'body/longUrl is required',
    )
    expect(problemMessage({ title: 'Bad Request' })).toBe('Bad Request')
  })

  it("maps the platform's validation errors to top-level fields", () => {
    const p = {
      title: 'Bad Request',
      detail: 'body/longUrl must be string',
      errors: [
        { path: 'body/longUrl', message: 'must be string' },
        { path: 'body/tags/0', message: 'must be shorter' },
        { path: 'body/longUrl', message: 'second message ignored' },
      ],
    }
    expect(fieldErrors(p)).toEqual({ longUrl: 'must be string', tags: 'must be shorter' })
  })

  it('maps RFC 9457 invalidParams and Shlink invalidElements (with the detail as message)', () => {
    expect(fieldErrors({ title: 'x', invalidParams: [{ name: 'age', reason: 'must be positive' }] })).toEqual(
      {
        age: 'must be positive',
      },
    )
    expect(
      fieldErrors({
        title: 'Invalid data',
        detail: 'Provided data is not valid',
        invalidElements: ['customSlug'],
      }),
    ).toEqual({ customSlug: 'Provided data is not valid' })
    // Shlink 4's detail is the same sentence for every field; the reason, where given, says why.
    expect(
      fieldErrors({
        title: 'Invalid data',
        detail: 'Provided data is not valid',
        invalidElements: ['longUrl'],
        reason: 'the scheme javascript: is not allowed (it runs script in the page)',
      }),
    ).toEqual({ longUrl: 'the scheme javascript: is not allowed (it runs script in the page)' })
    expect(fieldErrors({ title: 'x', invalidElements: 'nope' })).toEqual({})
  })
})
