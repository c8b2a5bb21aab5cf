// The installable page's files, made at build time: PNG icons (drawn here, no image tools),
// manifest.webmanifest, and the service worker bundled with the list of files it caches.
import { build } from 'esbuild'
import { createHash } from 'node:crypto'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import * as zlib from 'node:zlib'

// zlib.crc32 is Node 20.15+/22.2+; the engines field allows any Node 20.
const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
  return c >>> 0
})
const crc32 =
  zlib.crc32 ??
  ((buf) => {
    let c = 0xffffffff
    for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8)
    return (c ^ 0xffffffff) >>> 0
  })

const BACKGROUND = [0x14, 0x16, 0x1a]
const INK = [0x5e, 0xea, 0xd4]
// A ">_" prompt, in unit coordinates, inside the maskable safe zone (the middle 80% circle).
const STROKES = [
  [0.31, 0.33, 0.49, 0.5],
  [0.49, 0.5, 0.31, 0.67],
  [0.55, 0.67, 0.71, 0.67],
]
const HALF_WIDTH = 0.04

function distance(px, py, [x1, y1, x2, y2]) {
  const dx = x2 - x1
  const dy = y2 - y1
  const t = Math.max(0, Math.min(1, ((px - x1) * dx + (py - y1) * dy) / (dx * dx + dy * dy)))
  return Math.hypot(px - (x1 + t * dx), py - (y1 + t * dy))
}

function chunk(type, data) {
  const head = Buffer.alloc(8)
  head.writeUInt32BE(data.length, 0)
  head.write(type, 4, 'ascii')
  const crc = Buffer.alloc(4)
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])) >>> 0, 0)
  return Buffer.concat([head, data, crc])
}

/** A full-bleed square icon (so it is maskable) as an RGBA PNG. */
export function iconPng(size) {
  const row = size * 4 + 1
  const raw = Buffer.alloc(row * size)
  for (let y = 0; y < size; y++) {
    raw[y * row] = 0 // filter: none
    for (let x = 0; x < size; x++) {
      const u = (x + 0.5) / size
      const v = (y + 0.5) / size
      const d = Math.min(...STROKES.map((s) => distance(u, v, s)))
      // Coverage of the stroke edge over about one pixel: cheap anti-aliasing.
      const a = Math.max(0, Math.min(1, (HALF_WIDTH - d) * size + 0.5))
      const o = y * row + 1 + x * 4
      for (let c = 0; c < 3; c++) raw[o + c] = Math.round(BACKGROUND[c] * (1 - a) + INK[c] * a)
      raw[o + 3] = 255
    }
  }
  const ihdr = Buffer.alloc(13)
  ihdr.writeUInt32BE(size, 0)
  ihdr.writeUInt32BE(size, 4)
  ihdr[8] = 8 // bit depth
  ihdr[9] = 6 // RGBA
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', zlib.deflateSync(raw, { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ])
}

const ICONS = [192, 512]

export function manifest() {
  const icons = ICONS.flatMap((s) =>
    ['any', 'maskable'].map((purpose) => ({
      src: `/icons/icon-${s}.png`,
      sizes: `${s}x${s}`,
      type: 'image/png',
      purpose,
    }))
  )
  return {
    id: '/',
    name: 'agentmux',
    short_name: 'agentmux',
    description: 'Claude Code sessions that keep running while you are away',
    start_url: '/',
    scope: '/',
    display: 'standalone',
    orientation: 'portrait',
    background_color: '#14161a',
    theme_color: '#14161a',
    icons,
  }
}

/** Writes icons, manifest and sw.js into dist; `shell` is every file the page needs to open offline. */
export async function buildPwa({ src, dist, shell }) {
  mkdirSync(join(dist, 'icons'), { recursive: true })
  const files = []
  for (const s of ICONS) {
    writeFileSync(join(dist, 'icons', `icon-${s}.png`), iconPng(s))
    files.push(`/icons/icon-${s}.png`)
  }
  writeFileSync(join(dist, 'manifest.webmanifest'), `${JSON.stringify(manifest(), null, 2)}\n`)
  const all = ['/', ...shell, '/manifest.webmanifest', ...files]
  // A new build is a new worker (its bytes change), which installs the new shell and drops the old.
  const version = createHash('sha256').update(all.join('\n')).digest('hex').slice(0, 12)
  await build({
    entryPoints: [join(src, 'sw.ts')],
    bundle: true,
    minify: true,
    format: 'iife',
    target: ['es2020', 'safari15', 'chrome100', 'firefox100'],
    outfile: join(dist, 'sw.js'),
    define: { __SHELL__: JSON.stringify(all), __VERSION__: JSON.stringify(version) },
    legalComments: 'none',
    logLevel: 'warning',
  })
  return [join(dist, 'sw.js'), join(dist, 'manifest.webmanifest')]
}
