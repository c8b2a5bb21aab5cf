/** Result rows, the printed table and the JSON written to bench/results/. */
import { fmt, summarize, type Summary } from './stats.js'

export interface Metric {
  bench: string
  metric: string
  unit: string
  /** Median over the repetitions (or the single value for counts). */
  value: number
  /** Spread of the per-repetition values: min–max (and p10–p90 when there are ≥ 5). */
  spread: Summary | null
  samples: number[]
  baseline: number | null
  baselineSpread: Summary | null
  baselineLabel?: string
  /** value / baseline (for "higher is better" metrics it is the fraction of the baseline reached). */
  ratio: number | null
  target: string
  /** null when the metric has no target of its own (context). */
  met: boolean | null
  note?: string
}

export interface BenchContext {
  quick: boolean
  log: (msg: string) => void
  /** Extra info a benchmark wants in the JSON (diagnostics, raw distributions). */
  extra: Record<string, unknown>
}

export function metric(
  m: Omit<
    Metric,
    'value' | 'spread' | 'baseline' | 'baselineSpread' | 'ratio' | 'met' | 'target'
  > & {
    baselineSamples?: number[]
    target?: string
    /** Decides `met` from the median value (and the baseline median). */
    check?: (value: number, baseline: number | null) => boolean
  }
): Metric {
  const spread = summarize(m.samples)
  const bs = m.baselineSamples && m.baselineSamples.length > 0 ? summarize(m.baselineSamples) : null
  const baseline = bs ? bs.median : null
  const value = spread.median
  return {
    bench: m.bench,
    metric: m.metric,
    unit: m.unit,
    value,
    spread,
    samples: m.samples,
    baseline,
    baselineSpread: bs,
    baselineLabel: m.baselineLabel,
    ratio: baseline !== null && baseline !== 0 ? value / baseline : null,
    target: m.target ?? '',
    met: m.check ? m.check(value, baseline) : null,
    note: m.note,
  }
}

function spreadText(s: Summary | null, unit: string): string {
  if (!s || s.n <= 1) return ''
  const u = unit === '%' ? '%' : ''
  let t = `${fmt(s.min)}–${fmt(s.max)}${u}`
  if (s.n >= 5) t += ` (p10–p90 ${fmt(s.p10)}–${fmt(s.p90)})`
  return `${t} n=${s.n}`
}

export function table(metrics: Metric[]): string {
  const rows: string[][] = [
    [
      'bench',
      'metric',
      'value (median)',
      'spread min–max',
      'baseline (median)',
      'ratio',
      'target',
      'met',
    ],
  ]
  for (const m of metrics) {
    rows.push([
      m.bench,
      m.metric,
      `${fmt(m.value)} ${m.unit}`,
      spreadText(m.spread, m.unit),
      m.baseline === null
        ? '—'
        : `${fmt(m.baseline)} ${m.unit}${m.baselineLabel ? ` (${m.baselineLabel})` : ''}`,
      m.ratio === null ? '—' : `${fmt(m.ratio, 2)}×`,
      m.target || '—',
      m.met === null ? '·' : m.met ? 'YES' : 'NO',
    ])
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)))
  const line = (r: string[]) => `| ${r.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`
  const sep = `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`
  return [line(rows[0]!), sep, ...rows.slice(1).map(line)].join('\n')
}
