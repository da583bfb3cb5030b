/**
 * The template engine: variables, sections, per-channel escaping (property tests: whatever a
 * variable holds, HTML output never gains a tag and JSON output always parses back to the
 * value), and clear errors for missing variables and malformed tags.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { parseTemplate, renderTemplate, TemplateError } from './template.js'

describe('template engine', () => {
  it('renders variables, nested paths, sections and inverted sections', () => {
    const data = { user: { name: 'Ann' }, items: [{ n: 1 }, { n: 2 }], none: [], flag: true }
    expect(
      renderTemplate(
        'Hi {{user.name}}: {{#items}}[{{n}}]{{/items}}{{^none}} none{{/none}}{{#flag}}!{{/flag}}',
        data,
        'plain',
      ),
    ).toBe('Hi Ann: [1][2] none!')
    expect(renderTemplate('{{#xs}}{{.}};{{/xs}}', { xs: ['a', 'b'] }, 'plain')).toBe('a;b;')
  })

  it('refuses missing variables, naming them', () => {
    expect(() => renderTemplate('{{a}} {{b.c}}', { b: {} }, 'html')).toThrow(/missing variables: a, b.c/)
    // A section over a missing name is just empty (logic-less: absence is false).
    expect(renderTemplate('x{{#gone}}y{{/gone}}', {}, 'html')).toBe('x')
  })

  it('refuses malformed templates', () => {
    for (const bad of ['{{#a}}open', '{{/a}}', '{{#a}}{{/b}}', '{{ a b }}', '{{{raw}}}', '{{'])
      expect(() => parseTemplate(bad), bad).toThrow(TemplateError)
  })

  it('never lets a variable add markup to HTML', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 40 }), fc.string({ maxLength: 40 }), (a, b) => {
        const out = renderTemplate('<p>{{a}}</p><a title="{{b}}">x</a>', { a, b }, 'html')
        const tags = out.match(/<[^>]*>/g) ?? []
        expect(tags).toEqual(['<p>', '</p>', `<a title="${tags[2]?.slice(10, -2)}">`, '</a>'])
        expect(out.slice(3, out.indexOf('</p>'))).not.toMatch(/[<>"']/)
      }),
    )
  })

  it('keeps JSON valid and values intact whatever they hold', () => {
    // A string goes inside the template's quotes ("{{s}}"); any other value stands alone ({{v}}).
    const nonString = fc.oneof(
      fc.integer(),
      fc.double({ noNaN: true, noDefaultInfinity: true }),
      fc.boolean(),
      fc.constant(null),
      fc.array(fc.string({ maxLength: 10 }), { maxLength: 4 }),
      fc.dictionary(fc.string({ maxLength: 10 }), fc.string({ maxLength: 10 }), { maxKeys: 4 }),
    )
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 40 }), nonString, (s, v) => {
        const out = renderTemplate('{"s": "{{s}}", "v": {{v}}}', { s, v }, 'json')
        const parsed = JSON.parse(out)
        expect(parsed.s).toBe(s)
        expect(parsed.v).toEqual(JSON.parse(JSON.stringify(v)))
      }),
      { numRuns: 100 },
    )
  })

  it('strips control characters from plain text', () => {
    expect(renderTemplate('{{a}}', { a: 'x\u0000y\u001b[31mz\nw' }, 'plain')).toBe('xy[31mz\nw')
  })
})
