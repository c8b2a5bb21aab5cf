/** Rewrites the README's configuration table from the settings table in src/settings.ts. */
import { readFileSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { withReadmeTable } from '../src/config-help.js'

const readme = join(dirname(fileURLToPath(import.meta.url)), '..', 'README.md')
const before = readFileSync(readme, 'utf8')
const after = withReadmeTable(before)
if (after !== before) writeFileSync(readme, after)
process.stdout.write(
  after === before
    ? 'README.md: config table already current\n'
    : 'README.md: config table rewritten\n'
)
