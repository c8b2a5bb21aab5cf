/** Reads a V8 .cpuprofile (node --cpu-prof) and summarises where the time went. */
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { loadSourceMap, type SourceMap } from './sourcemap.js'

interface ProfileNode {
  id: number
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number }
  children?: number[]
}
interface Profile {
  nodes: ProfileNode[]
  samples: number[]
  timeDeltas: number[]
  startTime: number
  endTime: number
}

export interface ProfileSummary {
  totalMs: number
  idleMs: number
  /** Self time per function, descending. */
  self: { fn: string; ms: number; pct: number }[]
  /** Inclusive time per function (recursion counted once), descending. */
  inclusive: { fn: string; ms: number; pct: number }[]
  /** Self time per area (src module, library, node internals, GC…). */
  areas: { area: string; ms: number; pct: number }[]
}

/** Source maps of bundled files (the daemon is one esbuild bundle): positions → original files. */
const maps = new Map<string, SourceMap | null>()
function original(
  url: string,
  line: number,
  column: number,
  root: string
): { file: string; line: number } | null {
  if (!url.startsWith('file://')) return null
  if (!maps.has(url)) maps.set(url, loadSourceMap(fileURLToPath(url), root))
  const m = maps.get(url)
  const o = m?.lookup(line, column)
  return o ? { file: o.source, line: o.line } : null
}

function key(n: ProfileNode, root: string): string {
  const { functionName, url, lineNumber, columnNumber } = n.callFrame
  const o = original(url, lineNumber, columnNumber, root)
  const file = o ? o.file : url.replace(`file://${root}/`, '').replace(/^file:\/\//, '')
  const line = o ? o.line : lineNumber + 1
  return `${functionName || '(anonymous)'} ${file ? `${file}:${line}` : ''}`.trim()
}

function area(n: ProfileNode, root: string): string {
  const { functionName, url, lineNumber, columnNumber } = n.callFrame
  if (!url) return functionName.startsWith('(') ? functionName : `native ${functionName}`
  const file =
    original(url, lineNumber, columnNumber, root)?.file ?? url.replace(`file://${root}/`, '')
  let m = /^(?:dist\/)?src\/([^/]+(?:\/[^/]+)?)\.[jt]s$/.exec(file)
  if (m) return `src/${m[1]}`
  m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(file)
  if (m) return m[1]!
  if (file.startsWith('node:'))
    return file
      .replace(/^node:internal\//, 'node:')
      .split('/')
      .slice(0, 2)
      .join('/')
  return file
}

export function summarizeProfile(path: string, root: string, top = 25): ProfileSummary {
  const p = JSON.parse(readFileSync(path, 'utf8')) as Profile
  const byId = new Map(p.nodes.map((n) => [n.id, n]))
  const selfUs = new Map<number, number>()
  for (let i = 0; i < p.samples.length; i++) {
    const id = p.samples[i]!
    selfUs.set(id, (selfUs.get(id) ?? 0) + (p.timeDeltas[i + 1] ?? p.timeDeltas[i] ?? 0))
  }
  const totalUs = [...selfUs.values()].reduce((a, b) => a + b, 0)
  const selfByKey = new Map<string, number>()
  const areaUs = new Map<string, number>()
  let idleUs = 0
  for (const [id, us] of selfUs) {
    const n = byId.get(id)!
    if (n.callFrame.functionName === '(idle)') idleUs += us
    const k = key(n, root)
    selfByKey.set(k, (selfByKey.get(k) ?? 0) + us)
    const a = area(n, root)
    areaUs.set(a, (areaUs.get(a) ?? 0) + us)
  }
  // Inclusive: walk from the root with the set of keys already on the stack.
  const inclByKey = new Map<string, number>()
  const subtree = new Map<number, number>()
  const total = (id: number): number => {
    const cached = subtree.get(id)
    if (cached !== undefined) return cached
    const n = byId.get(id)!
    let t = selfUs.get(id) ?? 0
    for (const c of n.children ?? []) t += total(c)
    subtree.set(id, t)
    return t
  }
  const walk = (id: number, onStack: Set<string>) => {
    const n = byId.get(id)!
    const k = key(n, root)
    const fresh = !onStack.has(k)
    if (fresh) {
      inclByKey.set(k, (inclByKey.get(k) ?? 0) + total(id))
      onStack.add(k)
    }
    for (const c of n.children ?? []) walk(c, onStack)
    if (fresh) onStack.delete(k)
  }
  walk(p.nodes[0]!.id, new Set())
  const busyUs = totalUs - idleUs
  const rows = (m: Map<string, number>, denom: number) =>
    [...m.entries()]
      .filter(([k]) => !k.startsWith('(idle)') && !k.startsWith('(root)'))
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([fn, us]) => ({ fn, ms: us / 1000, pct: (us / Math.max(1, denom)) * 100 }))
  return {
    totalMs: totalUs / 1000,
    idleMs: idleUs / 1000,
    self: rows(selfByKey, busyUs),
    inclusive: rows(inclByKey, busyUs),
    areas: [...areaUs.entries()]
      .filter(([a]) => a !== '(idle)')
      .sort((a, b) => b[1] - a[1])
      .map(([a, us]) => ({ area: a, ms: us / 1000, pct: (us / Math.max(1, busyUs)) * 100 })),
  }
}

export function printSummary(
  s: ProfileSummary,
  out: (l: string) => void = (l) => process.stdout.write(`${l}\n`)
): void {
  out(
    `profile: ${s.totalMs.toFixed(0)} ms sampled, ${(s.totalMs - s.idleMs).toFixed(0)} ms busy (percentages are of busy time)`
  )
  out('\nby area (self):')
  for (const a of s.areas.slice(0, 20))
    out(`  ${a.pct.toFixed(1).padStart(5)}%  ${a.ms.toFixed(0).padStart(6)} ms  ${a.area}`)
  out('\ntop self:')
  for (const r of s.self)
    out(`  ${r.pct.toFixed(1).padStart(5)}%  ${r.ms.toFixed(0).padStart(6)} ms  ${r.fn}`)
  out('\ntop inclusive:')
  for (const r of s.inclusive)
    out(`  ${r.pct.toFixed(1).padStart(5)}%  ${r.ms.toFixed(0).padStart(6)} ms  ${r.fn}`)
}
