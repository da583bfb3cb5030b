import { describe, expect, it } from 'vitest'
import { parsePrometheus } from './prometheus'

describe('parsePrometheus', () => {
  it('reads names, labels and values, skipping comments and blank lines', () => {
    const text = [
      '# HELP http_request_duration_seconds HTTP request duration',
      '# TYPE http_request_duration_seconds histogram',
      'http_request_duration_seconds_bucket{le="0.005",system="url-shortener",route="/{shortCode}",method="GET",status_code="302"} 7',
      'http_request_duration_seconds_bucket{le="+Inf",system="url-shortener",route="/{shortCode}",method="GET",status_code="302"} 9',
      '',
      'process_cpu_seconds_total 1.5e-3',
      'up 1 1700000000000',
    ].join('\n')
    const samples = parsePrometheus(text)
    expect(samples).toHaveLength(4)
    expect(samples[0]).toEqual({
      name: 'http_request_duration_seconds_bucket',
      labels: {
        le: '0.005',
        system: 'url-shortener',
        route: '/{shortCode}',
        method: 'GET',
        status_code: '302',
      },
      value: 7,
    })
    expect(samples[2]).toEqual({ name: 'process_cpu_seconds_total', labels: {}, value: 0.0015 })
    expect(samples[3]?.value).toBe(1)
  })

  it('unescapes label values and reads NaN and infinities', () => {
    const [a, b, c] = parsePrometheus(
      ['m{path="a\\"b\\\\c\\nd",x="{},="} NaN', 'm{} +Inf', 'm{a="1",} -Inf'].join('\n'),
    )
    expect(a?.labels).toEqual({ path: 'a"b\\c\nd', x: '{},=' })
    expect(a?.value).toBeNaN()
    expect(b?.value).toBe(Number.POSITIVE_INFINITY)
    expect(c).toEqual({ name: 'm', labels: { a: '1' }, value: Number.NEGATIVE_INFINITY })
  })

  it('skips malformed lines instead of failing the scrape', () => {
    const samples = parsePrometheus(
      ['good 1', 'bad{a="1} 2', 'worse{a=1} 3', 'nonumber abc', 'also 2'].join('\n'),
    )
    expect(samples.map((s) => s.name)).toEqual(['good', 'also'])
  })
})
