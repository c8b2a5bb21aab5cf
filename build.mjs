// Bundles the daemon into one file. One module instead of hundreds loads in about 2/3 of the
// time, which is most of a cold start (measured: median 287 ms vs 420 ms to a /healthz answer).
// Type checking is `npm run typecheck`; this only transpiles.
import { chmodSync } from 'node:fs'
import { build } from 'esbuild'

await build({
  // The PostgreSQL connection's worker thread is a file of its own, beside main.js.
  entryPoints: { main: 'src/main.ts', 'pg-worker': 'src/storage/pg/pg-worker.ts' },
  outdir: 'dist/src',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node22',
  sourcemap: 'linked',
  // Native addon: loaded from node_modules at run time.
  // pg-native: pg's optional libpq binding, which is not installed (pg's JavaScript client is used).
  external: ['better-sqlite3', 'pg-native'],
  // Bundled CommonJS code may call require(); ESM has none of its own.
  // --max-semi-space-size=4: V8's young generation otherwise grows to ~48 MB after a burst of
  // attaches and stays; capped, an idle client costs ~12 KB of RSS instead of ~23 KB (bench/).
  banner: {
    js: "#!/usr/bin/env -S node --max-semi-space-size=4\nimport { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
  },
  logLevel: 'warning',
})
// It is the package's `bin`.
chmodSync('dist/src/main.js', 0o755)
