import { z } from 'zod'
import { PERMISSION_MODES } from '../sessions/types.js'
import { IMAGE_TYPES, MAX_ATTACHMENTS, MAX_ATTACHMENTS_BYTES } from '../sessions/attachments.js'

export const MAX_PROMPT_BYTES = 200 * 1024
export const MAX_BODY_BYTES = 1024 * 1024
/** POST /sessions/:id/turns alone takes more: images ride in it as base64 (4/3 of their size). */
export const MAX_TURN_BODY_BYTES = MAX_BODY_BYTES + Math.ceil((MAX_ATTACHMENTS_BYTES * 4) / 3) + 4096
export const MAX_TITLE_CHARS = 200
export const MAX_ALLOWED_TOOLS = 64
export const MAX_HISTORY_LIMIT = 1000

// Printable text without control characters (tabs and newlines are fine in prompts, not in titles).
const noControl = (s: string) => !/[\u0000-\u001f\u007f]/.test(s)
// A lone UTF-16 surrogate ("\ud800" in JSON) has no UTF-8 form: SQLite would store 3 bytes that read
// back as 3 U+FFFD, so the text would change (and a 200-character title would become 600).
const wellFormed = (s: string) => !/\p{Cs}/u.test(s)
/** Every free-text field: well-formed Unicode, or a 400. */
const text = () => z.string().refine(wellFormed, 'must be valid Unicode text (no lone surrogates)')

const title = text().max(MAX_TITLE_CHARS).refine(noControl, 'title must not contain control characters')
const model = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._:\[\]-]{0,127}$/, 'model must be a model name or alias such as "sonnet"')
const permissionMode = z.enum(PERMISSION_MODES)
const tool = text()
  .min(1)
  .max(200)
  .refine(noControl, 'tool rules must not contain control characters')
  .refine((s) => !s.startsWith('-'), 'tool rules must not start with "-"')
const allowedTools = z.array(tool).max(MAX_ALLOWED_TOOLS)

export const CreateSessionBody = z.strictObject({
  title: title.optional(),
  cwd: text().min(1).max(4096).optional(),
  model: model.optional(),
  permissionMode: permissionMode.optional(),
  allowedTools: allowedTools.optional(),
  appendSystemPrompt: text().max(32 * 1024).optional(),
})

export const PatchSessionBody = z.strictObject({
  title: title.optional(),
  model: model.nullable().optional(),
  permissionMode: permissionMode.nullable().optional(),
  allowedTools: allowedTools.optional(),
})

export const StartTurnBody = z.strictObject({
  prompt: text()
    .refine((s) => s.trim().length > 0, 'prompt must not be empty')
    .refine((s) => Buffer.byteLength(s, 'utf8') <= MAX_PROMPT_BYTES, `prompt must be at most ${MAX_PROMPT_BYTES} bytes`),
  model: model.optional(),
  clientTurnId: z
    .string()
    .regex(/^[\x21-\x7e]{1,128}$/, 'clientTurnId must be 1 to 128 printable ASCII characters')
    .optional(),
  attachments: z
    .array(
      z.strictObject({
        type: z.literal('image'),
        mediaType: z.enum(IMAGE_TYPES),
        data: z
          .string()
          .min(4)
          .refine((s) => s.length % 4 === 0 && /^[A-Za-z0-9+/]*={0,2}$/.test(s), 'data must be base64'),
      })
    )
    .max(MAX_ATTACHMENTS)
    .optional(),
})

/** A cursor is a non-negative integer; anything else is an error, never a silent reset to 0. */
export const Cursor = z
  .string()
  .regex(/^\d{1,16}$/, 'must be a non-negative integer')
  .transform(Number)
  .refine((n) => Number.isSafeInteger(n), 'is too large')

/** `exact` (the default): every event. `catchup`: superseded events left out (README, Catch-up). */
export const AttachMode = z.enum(['exact', 'catchup'])
const turnsCount = z
  .string()
  .regex(/^\d{1,4}$/, 'turns must be a positive integer')
  .transform(Number)
  .refine((n) => n >= 1 && n <= 1000, 'turns must be between 1 and 1000')

export const AttachQuery = z.object({
  mode: AttachMode.optional(),
  turns: turnsCount.optional(),
})

export const HistoryQuery = z.object({
  after: Cursor.optional(),
  before: Cursor.optional(),
  mode: AttachMode.optional(),
  turns: turnsCount.optional(),
  limit: z
    .string()
    .regex(/^\d{1,5}$/, 'limit must be a positive integer')
    .transform(Number)
    .refine((n) => n >= 1 && n <= MAX_HISTORY_LIMIT, `limit must be between 1 and ${MAX_HISTORY_LIMIT}`)
    .optional(),
})
