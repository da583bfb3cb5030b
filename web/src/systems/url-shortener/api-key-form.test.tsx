// @vitest-environment happy-dom
import { cleanup, render, screen } from '@testing-library/react'
import { afterEach, describe, expect, it } from 'vitest'
import { ApiKeyForm } from './api-key-form'

afterEach(cleanup)

describe('API key form', () => {
  it('says the CLI command that makes a key works while the server runs', () => {
    render(<ApiKeyForm apiKey="" onSave={() => {}} />)
    const hint = screen.getByText(/npx blueprints url-shortener api-key create/)
    expect(hint.textContent).toContain('it works while the server runs')
  })
})
