/** Just enough of source map v3 to say which source file and line a generated position came from. */
import { existsSync, readFileSync } from 'node:fs'
import { dirname, relative, resolve } from 'node:path'

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'
const VAL = new Map([...B64].map((c, i) => [c, i]))

/** Per generated line: sorted [generatedColumn, sourceIndex, sourceLine] triples. */
type Lines = Int32Array[]

export interface SourceMap {
  /** Source file relative to `root`, and 1-based line, for a 0-based generated line/column. */
  lookup(line: number, column: number): { source: string; line: number } | null
}

export function loadSourceMap(jsPath: string, root: string): SourceMap | null {
  const mapPath = `${jsPath}.map`
  if (!existsSync(mapPath)) return null
  const map = JSON.parse(readFileSync(mapPath, 'utf8')) as { sources: string[]; mappings: string }
  const sources = map.sources.map((s) => relative(root, resolve(dirname(jsPath), s)))
  const lines: Lines = []
  let src = 0
  let srcLine = 0
  let _srcCol = 0
  for (const lineText of map.mappings.split(';')) {
    let col = 0
    const segs: number[] = []
    for (const seg of lineText.split(',')) {
      if (!seg) continue
      const vals: number[] = []
      let value = 0
      let shift = 0
      for (const ch of seg) {
        const d = VAL.get(ch)!
        value += (d & 31) << shift
        if (d & 32) shift += 5
        else {
          vals.push(value & 1 ? -(value >>> 1) : value >>> 1)
          value = 0
          shift = 0
        }
      }
      col += vals[0]!
      if (vals.length >= 4) {
        src += vals[1]!
        srcLine += vals[2]!
        _srcCol += vals[3]!
        segs.push(col, src, srcLine)
      }
    }
    lines.push(Int32Array.from(segs))
  }
  return {
    lookup(line, column) {
      const segs = lines[line]
      if (!segs || segs.length === 0) return null
      let best = -1
      for (let i = 0; i < segs.length; i += 3) {
        if (segs[i]! <= column) best = i
        else break
      }
      if (best < 0) best = 0
      return { source: sources[segs[best + 1]!]!, line: segs[best + 2]! + 1 }
    },
  }
}
