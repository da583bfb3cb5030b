/** Scraped metrics show the number as it is at each scrape, not as it was when registered. */
import { Registry } from 'prom-client'
import { describe, expect, it } from 'vitest'
import { scrapedCounter, scrapedGauge } from './scraped.js'

describe('scraped metrics', () => {
  it('reads the counter and the gauge at every scrape', async () => {
    const registry = new Registry()
    const tally = { done: 0, open: 0 }
    scrapedCounter(registry, 'x_done_total', 'Things done', () => tally.done)
    scrapedGauge(registry, 'x_open', 'Things open', () => tally.open)
    tally.done = 3
    tally.open = 2
    let text = await registry.metrics()
    expect(text).toContain('x_done_total 3')
    expect(text).toContain('x_open 2')
    tally.done = 5
    tally.open = 0
    text = await registry.metrics()
    expect(text).toContain('x_done_total 5')
    expect(text).toContain('x_open 0')
  })
})
