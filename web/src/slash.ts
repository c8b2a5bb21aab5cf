/** `/` in the prompt box suggests the slash commands claude reported in its `agent.init`. */
import { h } from './dom.js'

const MAX_SHOWN = 8

export class SlashMenu {
  readonly el: HTMLElement
  private commands: string[] = []
  private shown: string[] = []
  private active = 0

  constructor(
    private readonly ta: HTMLTextAreaElement,
    private readonly onPick: () => void
  ) {
    this.el = h('div', {
      class: 'slash',
      role: 'group',
      'aria-label': 'Slash commands',
      hidden: true,
    })
    // A tap on a suggestion must leave the focus (and the phone keyboard) in the prompt box.
    this.el.addEventListener('pointerdown', (e) => e.preventDefault())
  }

  /** The latest agent.init's list (a session's commands change when plugins or skills do). */
  setCommands(list: string[]): void {
    this.commands = [...new Set(list)].sort()
    this.update()
  }

  /** Only a lone `/word` being typed gets suggestions; a prompt that merely contains a slash does not. */
  update(): void {
    const m = /^\/(\S*)$/.exec(this.ta.value)
    if (!m || this.commands.length === 0) return this.close()
    const q = m[1]!.toLowerCase()
    const starts = this.commands.filter((c) => c.toLowerCase().startsWith(q))
    const contains = this.commands.filter(
      (c) => !c.toLowerCase().startsWith(q) && c.toLowerCase().includes(q)
    )
    this.shown = [...starts, ...contains].slice(0, MAX_SHOWN)
    if (this.shown.length === 0 || (this.shown.length === 1 && this.shown[0] === m[1]))
      return this.close()
    this.active = Math.min(this.active, this.shown.length - 1)
    this.el.replaceChildren(
      ...this.shown.map((c, i) =>
        h(
          'button',
          {
            type: 'button',
            class: `slash-item${i === this.active ? ' active' : ''}`,
            'data-command': c,
            onClick: () => this.pick(c),
          },
          `/${c}`
        )
      )
    )
    this.el.hidden = false
  }

  close(): void {
    this.el.hidden = true
    this.shown = []
    this.active = 0
  }

  /** Keyboard use of an open menu; true when the key was consumed. */
  key(e: KeyboardEvent): boolean {
    if (this.el.hidden) return false
    if (e.key === 'Escape') this.close()
    else if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      this.active =
        (this.active + (e.key === 'ArrowDown' ? 1 : this.shown.length - 1)) % this.shown.length
      this.update()
    } else if ((e.key === 'Enter' || e.key === 'Tab') && !e.ctrlKey && !e.metaKey)
      this.pick(this.shown[this.active]!)
    else return false
    e.preventDefault()
    return true
  }

  private pick(cmd: string): void {
    this.ta.value = `/${cmd} `
    this.close()
    this.ta.focus()
    this.onPick()
    this.close()
  }
}
