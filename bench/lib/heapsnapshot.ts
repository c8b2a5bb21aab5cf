/** Minimal .heapsnapshot reader: self size and count per (type, constructor name). */
import { readFileSync } from 'node:fs'

interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[], ...unknown[]] } }
  nodes: number[]
  strings: string[]
}

export interface HeapTotals {
  totalBytes: number
  byName: Map<string, { count: number; bytes: number }>
}

export function readHeapSnapshot(path: string): HeapTotals {
  const s = JSON.parse(readFileSync(path, 'utf8')) as Snapshot
  const f = s.snapshot.meta.node_fields
  const types = s.snapshot.meta.node_types[0]
  const width = f.length
  const iType = f.indexOf('type')
  const iName = f.indexOf('name')
  const iSize = f.indexOf('self_size')
  const byName = new Map<string, { count: number; bytes: number }>()
  let totalBytes = 0
  for (let i = 0; i < s.nodes.length; i += width) {
    const type = types[s.nodes[i + iType]!]!
    const size = s.nodes[i + iSize]!
    totalBytes += size
    let name =
      type === 'object' || type === 'closure' || type === 'native'
        ? s.strings[s.nodes[i + iName]!]!
        : `(${type})`
    if (type === 'closure') name = `closure ${name}`
    if (name.length > 60) name = `${name.slice(0, 57)}...`
    const e = byName.get(name) ?? { count: 0, bytes: 0 }
    e.count++
    e.bytes += size
    byName.set(name, e)
  }
  return { totalBytes, byName }
}

/** The biggest differences b − a, per name. */
export function diffHeaps(
  a: HeapTotals,
  b: HeapTotals,
  top = 30
): { name: string; count: number; bytes: number }[] {
  const names = new Set([...a.byName.keys(), ...b.byName.keys()])
  const rows: { name: string; count: number; bytes: number }[] = []
  for (const n of names) {
    const x = a.byName.get(n) ?? { count: 0, bytes: 0 }
    const y = b.byName.get(n) ?? { count: 0, bytes: 0 }
    rows.push({ name: n, count: y.count - x.count, bytes: y.bytes - x.bytes })
  }
  return rows.sort((p, q) => Math.abs(q.bytes) - Math.abs(p.bytes)).slice(0, top)
}
