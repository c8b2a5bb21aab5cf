/**
 * The composer's image picker (issue 12.20): a photo or a screenshot goes with the next prompt as
 * `attachments` of POST /sessions/:id/turns. Images stay in memory only (localStorage is too small
 * for them), so a reload keeps the prompt's text but drops its images.
 */
import { h } from './dom.js'

/** The daemon's limits (src/sessions/attachments.ts), checked here for a quicker, clearer answer. */
const MAX_IMAGE_BYTES = 5 * 1024 * 1024
const MAX_IMAGES = 8
const TYPES = ['image/png', 'image/jpeg', 'image/gif', 'image/webp']

export interface ImageAttachment {
  type: 'image'
  mediaType: string
  data: string
}

export class ImagePicker {
  /** The paper-clip button (with its hidden file input), for the prompt row. */
  readonly button: HTMLElement
  /** The chosen images, above the prompt row; hidden while there are none. */
  readonly chips: HTMLElement
  private readonly input: HTMLInputElement
  private images: (ImageAttachment & { name: string })[] = []

  constructor(private readonly say: (msg: string) => void) {
    this.input = h('input', {
      type: 'file',
      accept: TYPES.join(','),
      multiple: true,
      hidden: true,
      'aria-hidden': 'true',
      tabindex: -1,
    })
    this.button = h(
      'span',
      { class: 'attach' },
      h(
        'button',
        {
          type: 'button',
          class: 'btn attach-btn',
          'aria-label': 'Attach images',
          onClick: () => this.input.click(),
        },
        // Drawn by the styles: an emoji needs a font that a desktop Linux may lack.
        h('span', { class: 'icon-clip', 'aria-hidden': 'true' })
      ),
      this.input
    )
    this.chips = h('div', { class: 'attach-chips', hidden: true })
    this.input.addEventListener('change', () => void this.add(Array.from(this.input.files ?? [])))
  }

  /** What the next send carries. */
  get payload(): ImageAttachment[] {
    return this.images.map(({ type, mediaType, data }) => ({ type, mediaType, data }))
  }

  clear(): void {
    this.images = []
    this.paint()
  }

  private async add(files: File[]): Promise<void> {
    this.input.value = ''
    for (const f of files) {
      if (!TYPES.includes(f.type))
        this.say(`${f.name}: only PNG, JPEG, GIF or WebP images can be attached`)
      else if (f.size > MAX_IMAGE_BYTES) this.say(`${f.name} is larger than 5 MB`)
      else if (this.images.length >= MAX_IMAGES) this.say(`At most ${MAX_IMAGES} images per prompt`)
      else
        this.images.push({ type: 'image', mediaType: f.type, data: await base64(f), name: f.name })
    }
    this.paint()
  }

  private paint(): void {
    this.chips.hidden = this.images.length === 0
    this.chips.replaceChildren(
      ...this.images.map((img, i) =>
        h(
          'button',
          {
            type: 'button',
            class: 'chip',
            'aria-label': `Remove ${img.name}`,
            onClick: () => this.remove(i),
          },
          `🖼 ${img.name} ✕`
        )
      )
    )
  }

  private remove(i: number): void {
    this.images.splice(i, 1)
    this.paint()
  }
}

function base64(f: File): Promise<string> {
  return new Promise((resolve, reject) => {
    const r = new FileReader()
    r.onload = () => resolve(String(r.result).replace(/^data:[^,]*,/, ''))
    r.onerror = () => reject(r.error ?? new Error('could not read the file'))
    r.readAsDataURL(f)
  })
}
