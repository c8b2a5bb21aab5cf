import { AppError, badRequest } from '../errors.js'

/** Image types the Messages API takes as image content blocks. */
export const IMAGE_TYPES = ['image/png', 'image/jpeg', 'image/gif', 'image/webp'] as const
export type ImageType = (typeof IMAGE_TYPES)[number]

/** The Messages API refuses images over 5 MB. */
export const MAX_IMAGE_BYTES = 5 * 1024 * 1024
export const MAX_ATTACHMENTS_BYTES = 10 * 1024 * 1024
export const MAX_ATTACHMENTS = 8

/** An attachment as a request carries it. */
export interface AttachmentInput {
  type: 'image'
  mediaType: ImageType
  /** base64 */
  data: string
}

/** An attachment as it is stored and passed to claude: the bytes, decoded once. */
export interface Attachment {
  mediaType: ImageType
  data: Buffer
}

/**
 * Decodes and checks a turn's attachments: 413 past the per-image or total size, 400 when the
 * bytes are not the image type they claim to be (the API would fail the turn later, less clearly).
 */
export function decodeAttachments(list: readonly AttachmentInput[]): Attachment[] {
  let total = 0
  return list.map((a, i) => {
    const data = Buffer.from(a.data, 'base64')
    if (data.length > MAX_IMAGE_BYTES) {
      throw new AppError(
        413,
        'attachment_too_large',
        `attachments.${i}: an image may be at most ${MAX_IMAGE_BYTES} bytes (this one is ${data.length})`
      )
    }
    total += data.length
    if (total > MAX_ATTACHMENTS_BYTES) {
      throw new AppError(
        413,
        'attachments_too_large',
        `attachments may be at most ${MAX_ATTACHMENTS_BYTES} bytes in all`
      )
    }
    if (sniff(data) !== a.mediaType) {
      throw badRequest(
        'invalid_attachment',
        `attachments.${i}: the data is not a ${a.mediaType} image`
      )
    }
    return { mediaType: a.mediaType, data }
  })
}

function sniff(b: Buffer): ImageType | null {
  if (
    b.length >= 8 &&
    b.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))
  )
    return 'image/png'
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return 'image/jpeg'
  if (
    b.length >= 6 &&
    (b.toString('latin1', 0, 6) === 'GIF87a' || b.toString('latin1', 0, 6) === 'GIF89a')
  )
    return 'image/gif'
  if (
    b.length >= 12 &&
    b.toString('latin1', 0, 4) === 'RIFF' &&
    b.toString('latin1', 8, 12) === 'WEBP'
  )
    return 'image/webp'
  return null
}
