/**
 * A time-series chart drawn by uPlot (a 50 KB canvas charting library that
 * draws thousands of points per frame), sized to its container and coloured
 * from the stylesheet's variables, so it follows light and dark mode. The
 * canvas is hidden from screen readers; the caption states the newest values
 * in words. Where canvas is unavailable (tests, odd browsers) that caption
 * is all that shows.
 */
import { useEffect, useMemo, useRef, useState } from 'react'
import uPlot from 'uplot'
import 'uplot/dist/uPlot.min.css'
import { useTheme } from '../ui/theme'

export interface ChartSeries {
  label: string
  /** One value per time; null is a gap. */
  values: readonly (number | null)[]
}

export interface TimeChartProps {
  title: string
  /** Unix times in seconds, ascending. */
  times: readonly number[]
  series: readonly ChartSeries[]
  /** Formats values in the legend and the caption, and on the axis unless `formatTicks` is given. */
  format: (v: number | null) => string
  /** Formats the value axis's ticks together (one unit for all of them, as `formatSecondsTicks` does). */
  formatTicks?: (splits: number[]) => string[]
  /** Bars (counts per interval) instead of lines (rates); the value axis then ticks whole numbers. */
  bars?: boolean
  height?: number
  /** Show this many seconds up to the newest time (a steady window as points arrive), not just the data's span. */
  windowSeconds?: number
  /** Said when there is nothing to draw yet. */
  empty?: string
}

const canDraw = (() => {
  try {
    return typeof document !== 'undefined' && Boolean(document.createElement('canvas').getContext('2d'))
  } catch {
    return false
  }
})()

/** Tick steps for counts: 1, 2, 5, 10, 20, 50, ... (never a fraction of a visit). */
const WHOLE = [1, 2, 5]
  .flatMap((m) => [1, 10, 100, 1_000, 10_000, 100_000, 1_000_000].map((p) => m * p))
  .sort((a, b) => a - b)

function cssVar(name: string, fallback: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || fallback
}

function options(props: TimeChartProps, width: number): uPlot.Options {
  const text = cssVar('--text-muted', '#666')
  const grid = cssVar('--grid', '#8883')
  const colors = [1, 2, 3, 4].map((i) => cssVar(`--chart-${i}`, '#2563eb'))
  const axis: uPlot.Axis = {
    stroke: text,
    grid: { stroke: grid, width: 1 },
    ticks: { stroke: grid, width: 1 },
  }
  const bars = props.bars ? uPlot.paths.bars?.({ size: [0.8, 40] }) : undefined
  return {
    width,
    height: props.height ?? 200,
    cursor: { drag: { x: false, y: false } },
    legend: { show: true, live: true },
    scales: {
      x: {
        time: true,
        // With one or two points uPlot would stretch the axis over years; a fixed window reads as "recent".
        range: (u, min) => {
          // The newest time from the data itself: given one point, uPlot passes a max 1000 days later;
          // given none, it passes null (and the axis would start in 1970). Then the axis ends now.
          const xs = u.data[0]
          const end = xs.length > 0 ? xs[xs.length - 1]! : Date.now() / 1000
          if (props.windowSeconds) return [end - props.windowSeconds, end]
          return Number.isFinite(min) && end - min >= 60 ? [min, end] : [end - 60, end]
        },
      },
      y: { range: (_u, _min, max) => [0, max > 0 ? max * 1.1 : 1] },
    },
    axes: [
      axis,
      {
        ...axis,
        size: 80,
        incrs: props.bars ? WHOLE : undefined,
        values: (_u, splits) =>
          props.formatTicks ? props.formatTicks(splits) : splits.map((v) => props.format(v)),
      },
    ],
    series: [
      {},
      ...props.series.map((s, i) => ({
        label: s.label,
        stroke: colors[i % colors.length],
        fill: props.bars ? colors[i % colors.length] : undefined,
        width: props.bars ? 0 : 2,
        paths: bars,
        // A lone point draws no line: show the dots until there are a few.
        points: { show: (u: uPlot) => !props.bars && u.data[0].length < 4 },
        value: (_u: uPlot, v: number | null) => props.format(v),
      })),
    ],
  }
}

/** A chart of `series` over `times`. */
export function TimeChart(props: TimeChartProps) {
  const box = useRef<HTMLDivElement>(null)
  const plot = useRef<uPlot | null>(null)
  const [width, setWidth] = useState(0)
  const { theme } = useTheme()
  const data = useMemo(
    () =>
      [
        props.times as number[],
        ...props.series.map((s) => s.values as (number | null)[]),
      ] as uPlot.AlignedData,
    [props.times, props.series],
  )
  const shape = `${props.series.map((s) => s.label).join('|')}:${props.bars ?? false}:${props.height ?? 200}`

  // Track the container's width: the chart is as wide as the card it sits in, at any screen size.
  useEffect(() => {
    const el = box.current
    if (!el || !canDraw) return
    setWidth(el.clientWidth)
    if (typeof ResizeObserver === 'undefined') return
    const ro = new ResizeObserver(() => setWidth(el.clientWidth))
    ro.observe(el)
    return () => ro.disconnect()
  }, [])

  // (Re)create the plot when its shape, width or theme changes; data alone only calls setData.
  // biome-ignore lint/correctness/useExhaustiveDependencies: `data` is applied by the effect below
  useEffect(() => {
    const el = box.current
    if (!el || !canDraw || width <= 0) return
    const u = new uPlot(options(props, width), data, el)
    plot.current = u
    return () => {
      u.destroy()
      plot.current = null
    }
  }, [shape, width, theme])

  useEffect(() => {
    plot.current?.setData(data)
  }, [data])

  const latest = props.series.map((s) => `${s.label} ${props.format(s.values.at(-1) ?? null)}`).join(', ')
  const hasData = props.times.length > 0
  return (
    <figure className="chart">
      <figcaption>
        <span className="chart-title">{props.title}</span>
        <span className="chart-latest">{hasData ? `now: ${latest}` : (props.empty ?? 'no data yet')}</span>
      </figcaption>
      <div ref={box} className="chart-canvas" aria-hidden="true" />
    </figure>
  )
}
