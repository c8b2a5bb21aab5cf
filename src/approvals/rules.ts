/** "Allow for this session": from claude's permission_suggestions to allow rules. Pure. */

type Obj = Record<string, unknown>
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v)

export interface RuleSpec {
  toolName: string
  ruleContent?: string
}

/** `Tool(content)`, or the bare tool name: claude's --allowedTools syntax. */
export function formatRule(r: RuleSpec): string {
  return r.ruleContent ? `${r.toolName}(${r.ruleContent})` : r.toolName
}

/**
 * The allow rules behind a session-scoped approval. claude suggests `addRules` for Bash
 * (`Bash(npm test:*)`), but only `setMode acceptEdits` for Write/Edit and `addDirectories` for
 * paths: a mode or a directory grant would allow far more than the user approved, so those fall
 * back to the tool itself (`Write`).
 */
export function rulesFromSuggestions(toolName: string, suggestions: unknown[]): RuleSpec[] {
  const rules: RuleSpec[] = []
  for (const s of suggestions) {
    if (!isObj(s) || s.type !== 'addRules' || (s.behavior !== undefined && s.behavior !== 'allow'))
      continue
    if (!Array.isArray(s.rules)) continue
    for (const r of s.rules) {
      if (!isObj(r) || typeof r.toolName !== 'string' || r.toolName === '') continue
      const content =
        typeof r.ruleContent === 'string' && r.ruleContent !== '' ? r.ruleContent : undefined
      rules.push(
        content ? { toolName: r.toolName, ruleContent: content } : { toolName: r.toolName }
      )
    }
  }
  if (rules.length === 0) rules.push({ toolName })
  const seen = new Set<string>()
  return rules.filter((r) => {
    const key = formatRule(r)
    if (seen.has(key)) return false
    seen.add(key)
    return true
  })
}

/**
 * The same rules for claude itself (`updatedPermissions` of an allow), so the running claude
 * stops asking at once. Destination "session": never claude's settings files in the user's project.
 */
export function updatedPermissions(rules: RuleSpec[]): unknown[] {
  return [{ type: 'addRules', rules, behavior: 'allow', destination: 'session' }]
}
