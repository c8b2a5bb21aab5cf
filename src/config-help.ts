/** Text generated from the settings table: the `serve --help` options and the README's table. */
import { envOf, flagOf, SETTINGS, type Setting } from './settings.js'

const rows = () => Object.entries(SETTINGS) as [string, Setting][]
/** Markdown to plain text for a terminal. */
const plain = (md: string) => md.replace(/`/g, '')

/** One line per flag, then the variables that have no flag. */
export function serveOptionsText(): string {
  const lines: string[] = []
  for (const [key, s] of rows()) {
    const left = s.envOnly ? envOf(key) : `--${flagOf(key)}${s.arg ? ` ${s.arg}` : ''}`
    const source = s.envOnly ? 'environment only' : envOf(key)
    lines.push(`  ${left}`, `      ${plain(s.doc)}`, `      (${source}; default ${plain(s.shown)})`)
  }
  return lines.join('\n')
}

export const README_TABLE_START =
  '<!-- config-table:start (generated from src/settings.ts: npm run readme:config) -->'
export const README_TABLE_END = '<!-- config-table:end -->'

export function readmeConfigTable(): string {
  const lines = ['| variable | flag | default | meaning |', '|---|---|---|---|']
  for (const [key, s] of rows()) {
    const flag = s.envOnly ? 'none' : `\`--${flagOf(key)}\``
    lines.push(`| \`${envOf(key)}\` | ${flag} | ${s.shown} | ${s.doc.replace(/\|/g, '\\|')} |`)
  }
  return lines.join('\n')
}

/** The README with its generated block replaced (or unchanged when the markers are missing). */
export function withReadmeTable(readme: string): string {
  const start = readme.indexOf(README_TABLE_START)
  const end = readme.indexOf(README_TABLE_END)
  if (start < 0 || end < start) return readme
  // prettier would re-pad the table (the lead formats everything): it is left as generated.
  const table = `<!-- prettier-ignore-start -->\n${readmeConfigTable()}\n<!-- prettier-ignore-end -->`
  return `${readme.slice(0, start + README_TABLE_START.length)}\n${table}\n${readme.slice(end)}`
}
