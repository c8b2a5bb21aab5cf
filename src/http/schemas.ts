import { z } from 'zod'
import { PERMISSION_MODES } from '../sessions/types.js'
import { IMAGE_TYPES, MAX_ATTACHMENTS, MAX_ATTACHMENTS_BYTES } from '../sessions/attachments.js'

export const MAX_PROMPT_BYTES = 200 * 1024
export const MAX_BODY_BYTES = 1024 * 1024
/** POST /sessions/:id/turns alone takes more: images ride in it as base64 (4/3 of their size). */
export const MAX_TURN_BODY_BYTES =
  MAX_BODY_BYTES + Math.ceil((MAX_ATTACHMENTS_BYTES * 4) / 3) + 4096
export const MAX_TITLE_CHARS = 200
export const MAX_ALLOWED_TOOLS = 64
export const MAX_HISTORY_LIMIT = 1000

// Printable text without control characters (tabs and newlines are fine in prompts, not in titles).
const noControl = (s: string) => !/[\u0000-\u001f\u007f]/.test(s)
// Text that reaches claude's argv: a NUL cannot be passed at all (every later turn would fail at
// spawn), and other control characters have no business there; lines and tabs are text.
const argvText = (s: string) => !/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.test(s)
// A lone UTF-16 surrogate ("\ud800" in JSON) has no UTF-8 form: SQLite would store 3 bytes that read
// back as 3 U+FFFD, so the text would change (and a 200-character title would become 600).
const wellFormed = (s: string) => !/\p{Cs}/u.test(s)
const unicode = () =>
  z.string().refine(wellFormed, 'must be valid Unicode text (no lone surrogates)')
/** Every free-text field: well-formed Unicode without NUL (no engine stores it as text), or a 400. */
const text = () => unicode().refine((s) => !s.includes('\u0000'), 'must not contain NUL characters')

const title = text()
  .max(MAX_TITLE_CHARS)
  .refine(noControl, 'title must not contain control characters')
const model = z
  .string()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9._:[\]-]{0,127}$/,
    'model must be a model name or alias such as "sonnet"'
  )
const permissionMode = z.enum(PERMISSION_MODES)
const tool = text()
  .min(1)
  .max(200)
  .refine(noControl, 'tool rules must not contain control characters')
  .refine((s) => !s.startsWith('-'), 'tool rules must not start with "-"')
const allowedTools = z.array(tool).max(MAX_ALLOWED_TOOLS)

export const CreateSessionBody = z.strictObject({
  title: title.optional(),
  // NUL is refused by the cwd check itself, as `invalid_cwd` (never stored).
  cwd: unicode().min(1).max(4096).optional(),
  model: model.optional(),
  permissionMode: permissionMode.optional(),
  allowedTools: allowedTools.optional(),
  appendSystemPrompt: text()
    .max(32 * 1024)
    .refine(
      argvText,
      'appendSystemPrompt must not contain control characters other than newlines and tabs'
    )
    .optional(),
  /** The daemon whose machine holds `cwd` (GET /hosts); the daemon asked, when absent. */
  host: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/, 'host must be a host id from GET /hosts')
    .optional(),
})

export const PatchSessionBody = z.strictObject({
  title: title.optional(),
  model: model.nullable().optional(),
  permissionMode: permissionMode.nullable().optional(),
  allowedTools: allowedTools.optional(),
})

const prompt = text()
  .refine((s) => s.trim().length > 0, 'prompt must not be empty')
  .refine(
    (s) => Buffer.byteLength(s, 'utf8') <= MAX_PROMPT_BYTES,
    `prompt must be at most ${MAX_PROMPT_BYTES} bytes`
  )

export const StartTurnBody = z.strictObject({
  prompt,
  /** false: 409 when busy instead of queueing. */
  queue: z.boolean().optional(),
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
          .refine(
            (s) => s.length % 4 === 0 && /^[A-Za-z0-9+/]*={0,2}$/.test(s),
            'data must be base64'
          ),
      })
    )
    .max(MAX_ATTACHMENTS)
    .optional(),
})

export const EditTurnBody = z.strictObject({ prompt })

export const CancelBody = z.strictObject({ clearQueue: z.boolean().optional() })

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
    .refine(
      (n) => n >= 1 && n <= MAX_HISTORY_LIMIT,
      `limit must be between 1 and ${MAX_HISTORY_LIMIT}`
    )
    .optional(),
})

// --- approvals (issue 9) ---
const MAX_ANSWER_CHARS = 4096

/** POST /sessions/:id/permissions/:requestId */
export const AnswerPermissionBody = z.strictObject({
  decision: z.enum(['allow', 'deny']),
  message: text().max(MAX_ANSWER_CHARS).optional(),
  scope: z.enum(['once', 'session']).optional(),
  updatedInput: z.record(z.string(), z.unknown()).optional(),
  answers: z
    .record(
      text().max(MAX_ANSWER_CHARS),
      z.union([text().max(MAX_ANSWER_CHARS), z.array(text().max(MAX_ANSWER_CHARS)).max(64)])
    )
    .optional(),
})

/** claude's request ids are UUIDs; anything printable and short is looked up, the rest is a 400. */
export const PermissionRequestId = z
  .string()
  .regex(/^[A-Za-z0-9_-]{1,128}$/, 'is not a permission request id')

// --- push subscriptions (issue 11) ---
const base64url = (bytes: number, what: string) =>
  z
    .string()
    .regex(/^[A-Za-z0-9_-]+={0,2}$/, `${what} must be base64url`)
    .refine((s) => Buffer.from(s, 'base64url').length === bytes, `${what} must be ${bytes} bytes`)

/** Real push services are https; plain http only on loopback, for a local push service in tests. */
const pushEndpoint = z
  .string()
  .max(2048)
  .refine((s) => {
    try {
      const u = new URL(s)
      const loopback = ['127.0.0.1', 'localhost', '[::1]'].includes(u.hostname)
      return u.protocol === 'https:' || (u.protocol === 'http:' && loopback)
    } catch {
      return false
    }
  }, 'endpoint must be an https URL')

/** A browser's PushSubscription.toJSON(). */
export const PushSubscriptionBody = z.object({
  endpoint: pushEndpoint,
  expirationTime: z.number().nullable().optional(),
  keys: z.strictObject({
    // An uncompressed P-256 point: 0x04, x, y.
    p256dh: base64url(65, 'keys.p256dh').refine(
      (s) => Buffer.from(s, 'base64url')[0] === 4,
      'keys.p256dh must be an uncompressed P-256 key'
    ),
    auth: base64url(16, 'keys.auth'),
  }),
})

export const PushUnsubscribeBody = z.object({ endpoint: z.string().min(1).max(2048) })
export const ExportQuery = z.strictObject({
  format: z.enum(['md', 'jsonl']).default('md'),
})
