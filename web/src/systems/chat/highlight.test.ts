import { describe, expect, it } from 'vitest'
import { parseHighlight } from './highlight'

describe('search highlight', () => {
  it('splits the server highlight into text and marked text', () => {
    expect(parseHighlight('say <mark>hello</mark>, <mark>world</mark>!')).toEqual([
      { text: 'say ', mark: false },
      { text: 'hello', mark: true },
      { text: ', ', mark: false },
      { text: 'world', mark: true },
      { text: '!', mark: false },
    ])
  })

  it('turns the escaped body back into the text that was typed, markup included, once', () => {
    // The body was `<b>hi</b> & <mark>x</mark> &lt;`; the server escaped it and marked "hi".
    const segments = parseHighlight(
      '&lt;b&gt;<mark>hi</mark>&lt;/b&gt; &amp; &lt;mark&gt;x&lt;/mark&gt; &amp;lt; &quot;q&quot; &#39;s',
    )
    expect(segments).toEqual([
      { text: '<b>', mark: false },
      { text: 'hi', mark: true },
      { text: '</b> & <mark>x</mark> &lt; "q" \'s', mark: false },
    ])
  })

  it('leaves anything that is not exactly <mark> or </mark> as text', () => {
    expect(parseHighlight('<b>x</b> <MARK>y</MARK> <img src=x onerror=alert(1)>')).toEqual([
      { text: '<b>x</b> <MARK>y</MARK> <img src=x onerror=alert(1)>', mark: false },
    ])
    expect(parseHighlight('')).toEqual([])
  })
})
