import {
  decide,
  listPending,
  questionsOf,
  type Decision,
  type PendingPermission,
} from '../approvals.js'
import type { Client } from '../client.js'
import type { Command, Context } from '../command.js'
import { cell, jsonLine, table } from '../format.js'
import { CliError, EXIT, usageError } from '../io.js'
import { resolveSession } from '../sessions.js'

/** The request named, or the only pending one; with several and none named, the list. */
async function pick(
  ctx: Context,
  client: Client,
  sessionId: string,
  requestId: string | undefined
): Promise<PendingPermission> {
  const pending = await listPending(client, sessionId)
  if (requestId !== undefined) {
    const found = pending.find(
      (p) => p.requestId === requestId || p.requestId.startsWith(requestId)
    )
    if (found) return found
    throw new CliError(`no pending request ${JSON.stringify(requestId)} in ${sessionId}`)
  }
  if (pending.length === 1) return pending[0]!
  if (pending.length === 0) throw new CliError(`nothing is pending in ${sessionId}`)
  ctx.err(`${pending.length} requests are pending; name one:\n`)
  printPending(ctx, pending)
  throw new CliError('which one? give REQUEST')
}

export function printPending(ctx: Context, pending: PendingPermission[]): void {
  if (ctx.values.json) {
    ctx.out(jsonLine({ permissions: pending }))
    return
  }
  const rows = [
    ['REQUEST', 'KIND', 'TOOL', 'WHAT'],
    ...pending.map((p) => [p.requestId, p.kind, p.toolName, cell(p.summary, 70)]),
  ]
  ctx.out(`${table(rows)}\n`)
}

async function act(ctx: Context, d: (p: PendingPermission) => Decision): Promise<number> {
  const client = ctx.client()
  const s = await resolveSession(client, ctx.args[0]!)
  const req = await pick(ctx, client, s.id, ctx.args[1])
  const decision = d(req)
  await decide(client, s.id, req.requestId, decision)
  ctx.out(
    `${decision.decision === 'allow' ? 'allowed' : 'denied'} ${req.toolName}: ${cell(req.summary, 70)}\n`
  )
  return EXIT.ok
}

export const approve: Command = {
  name: 'approve',
  synopsis: 'approve SESSION [REQUEST] [--session]',
  summary: 'Allow a pending tool call (the only one pending, or REQUEST).',
  details: `  --session   allow this tool for the rest of the session, not just once
With several pending and no REQUEST, lists them (exit 1).`,
  options: { session: { type: 'boolean' }, json: { type: 'boolean' } },
  positionals: [1, 2],
  run: (ctx) =>
    act(ctx, () => ({ decision: 'allow', scope: ctx.values.session ? 'session' : 'once' })),
}

export const deny: Command = {
  name: 'deny',
  synopsis: 'deny SESSION [REQUEST] [--message M]',
  summary: 'Deny a pending tool call; claude is told why when --message is given.',
  details: '  --message M   what to tell claude instead',
  options: { message: { type: 'string', short: 'm' }, json: { type: 'boolean' } },
  positionals: [1, 2],
  run: (ctx) =>
    act(ctx, () => ({
      decision: 'deny',
      ...(ctx.values.message ? { message: ctx.values.message as string } : {}),
    })),
}

/** CHOICE i answers question i: an option's number (1-based; "1,3" picks several) or label, or free text. */
export function answersFor(
  p: PendingPermission,
  choices: string[]
): Record<string, string | string[]> {
  const questions = questionsOf(p.input)
  if (questions.length === 0) throw new CliError(`${p.requestId} is not a question`)
  if (choices.length !== questions.length) {
    const list = questions.map(
      (q, i) =>
        `  ${i + 1}. ${q.question}  [${(q.options ?? []).map((o, j) => `${j + 1} ${o.label}`).join(' | ')}]`
    )
    throw usageError(`give ${questions.length} answer(s), one per question:\n${list.join('\n')}`)
  }
  const answers: Record<string, string | string[]> = {}
  questions.forEach((q, i) => {
    const c = choices[i]!
    const label = (n: string) => q.options?.[Number(n) - 1]?.label
    const picked = /^\d+(,\d+)*$/.test(c) ? c.split(',').map(label) : []
    if (picked.length === 0 || picked.some((l) => l === undefined)) answers[q.question] = c
    else answers[q.question] = picked.length === 1 ? picked[0]! : (picked as string[])
  })
  return answers
}

export const answer: Command = {
  name: 'answer',
  synopsis: 'answer SESSION REQUEST CHOICE…',
  summary:
    "Answer claude's question: one CHOICE per question, an option's number or label, or text.",
  details: '',
  options: { json: { type: 'boolean' } },
  positionals: [3, Infinity],
  async run(ctx) {
    const client = ctx.client()
    const s = await resolveSession(client, ctx.args[0]!)
    const req = await pick(ctx, client, s.id, ctx.args[1])
    const answers = answersFor(req, ctx.args.slice(2))
    await decide(client, s.id, req.requestId, { decision: 'allow', answers })
    ctx.out(`answered ${req.requestId}\n`)
    return EXIT.ok
  },
}
