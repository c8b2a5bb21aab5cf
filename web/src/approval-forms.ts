/**
 * The ways to answer an approval card: Allow/Deny buttons with an optional message, and the
 * question form (options as buttons, or a typed answer). Each calls `send` with the answer.
 */
import { h } from './dom.js'

export interface Answer {
  decision: 'allow' | 'deny'
  scope?: 'once' | 'session'
  message?: string
  answers?: Record<string, string>
}

interface Question {
  question: string
  header?: string
  options: { label: string; description?: string }[]
}

function questionsOf(input: unknown): Question[] {
  const qs = (input as { questions?: unknown } | null)?.questions
  if (!Array.isArray(qs)) return []
  return qs.flatMap((q) => {
    const o = (q ?? {}) as Record<string, unknown>
    if (typeof o.question !== 'string') return []
    const options = Array.isArray(o.options)
      ? o.options.flatMap((x) =>
          x && typeof (x as { label?: unknown }).label === 'string'
            ? [x as { label: string; description?: string }]
            : []
        )
      : []
    return [
      {
        question: o.question,
        header: typeof o.header === 'string' ? o.header : undefined,
        options,
      },
    ]
  })
}

export function actions(
  allow: [string, Answer, string][],
  denyLabel: string,
  send: (a: Answer) => void
): HTMLElement {
  const msg = h('textarea', {
    class: 'input approval-message',
    rows: 2,
    name: 'message',
    placeholder: 'Why, or what to do instead (optional)',
    'aria-label': 'Message to claude',
  })
  const denyBox = h(
    'div',
    { class: 'approval-deny', hidden: true },
    msg,
    h(
      'button',
      {
        type: 'button',
        class: 'btn btn-danger',
        'data-answer': 'deny-confirm',
        onClick: () =>
          send({
            decision: 'deny',
            ...(msg.value.trim() ? { message: msg.value.trim() } : {}),
          }),
      },
      denyLabel
    )
  )
  const row = h(
    'div',
    { class: 'approval-actions' },
    ...allow.map(([label, answer, cls]) =>
      h(
        'button',
        {
          type: 'button',
          class: `btn ${cls}`,
          'data-answer': `${answer.decision}-${answer.scope}`,
          onClick: () => send(answer),
        },
        label
      )
    ),
    h(
      'button',
      {
        type: 'button',
        class: 'btn btn-danger-quiet',
        'data-answer': 'deny',
        onClick: () => ((denyBox.hidden = !denyBox.hidden), denyBox.hidden || msg.focus()),
      },
      `${denyLabel}…`
    )
  )
  return h('div', null, row, denyBox)
}

export function questionForm(input: unknown, send: (a: Answer) => void): HTMLElement {
  const qs = questionsOf(input)
  const answers: Record<string, string> = {}
  const done = () => {
    if (qs.every((q) => answers[q.question])) send({ decision: 'allow', answers: { ...answers } })
  }
  const blocks = qs.map((q) => {
    const free = h('input', {
      class: 'input',
      name: 'answer',
      autocomplete: 'off',
      placeholder: 'Or type an answer',
      'aria-label': `Answer to: ${q.question}`,
    })
    return h(
      'div',
      { class: 'approval-question' },
      h('div', { class: 'approval-q' }, q.question),
      h(
        'div',
        { class: 'approval-options' },
        ...q.options.map((o) =>
          h(
            'button',
            {
              type: 'button',
              class: 'btn',
              'data-option': o.label,
              title: o.description ?? null,
              onClick: () => ((answers[q.question] = o.label), done()),
            },
            o.label
          )
        )
      ),
      h(
        'div',
        { class: 'row' },
        free,
        h(
          'button',
          {
            type: 'button',
            class: 'btn btn-small',
            onClick: () => free.value.trim() && ((answers[q.question] = free.value.trim()), done()),
          },
          'Answer'
        )
      )
    )
  })
  return h(
    'div',
    { class: 'approval-answer' },
    ...blocks,
    h(
      'button',
      {
        type: 'button',
        class: 'btn btn-danger-quiet btn-small',
        onClick: () => send({ decision: 'deny' }),
      },
      'Don’t answer'
    )
  )
}

/** The countdown of an approval with a deadline. */
export function expiry(at: string): string {
  const s = Math.max(0, Math.round((Date.parse(at) - Date.now()) / 1000))
  return s > 0
    ? `Denied automatically in ${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')} without an answer`
    : 'Expiring…'
}
