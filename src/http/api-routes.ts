import { z } from 'zod'
import { EVENT_STREAM, ResponseSchemas as R } from './api-shapes.js'
import type { RouteDoc } from './openapi.js'
import {
  AnswerPermissionBody,
  CancelBody,
  CreateSessionBody,
  EditTurnBody,
  ExportQuery,
  HistoryQuery,
  PatchSessionBody,
  PushSubscriptionBody,
  PushUnsubscribeBody,
  StartTurnBody,
} from './schemas.js'

const ok = (description: string, schema?: z.ZodType) => ({
  '200': { description, ...(schema ? { schema } : {}) },
})
const sse = (description: string) => ({ '200': { description, type: EVENT_STREAM } })

/**
 * Every route the daemon serves, for GET /openapi.json. Adding a route is one line here; the
 * OpenAPI test fails while a route of the app is missing from this table.
 */
export const API_ROUTES: RouteDoc[] = [
  {
    method: 'get',
    path: '/healthz',
    tag: 'meta',
    summary: 'Liveness and versions',
    open: true,
    responses: ok('the daemon is up', R.Health),
  },
  {
    method: 'get',
    path: '/',
    tag: 'page',
    summary: 'The phone page',
    open: true,
    responses: { '200': { description: 'HTML', type: 'text/html' } },
  },
  {
    method: 'get',
    path: '/assets/*',
    tag: 'page',
    summary: 'Page assets',
    open: true,
    responses: { '200': { description: 'a file', type: 'application/octet-stream' } },
  },
  {
    method: 'get',
    path: '/favicon.ico',
    tag: 'page',
    summary: 'No favicon (404)',
    open: true,
    responses: { '404': { description: 'none' } },
  },
  {
    method: 'post',
    path: '/auth/login',
    tag: 'auth',
    summary: 'Trade the token for a login cookie',
    open: true,
    body: z.object({ token: z.string() }),
    responses: { '204': { description: 'logged in' } },
  },
  {
    method: 'post',
    path: '/auth/logout',
    tag: 'auth',
    summary: 'Drop the login cookie',
    open: true,
    responses: { '204': { description: 'logged out' } },
  },
  {
    method: 'post',
    path: '/sessions',
    tag: 'sessions',
    summary: 'Create a session',
    body: CreateSessionBody,
    responses: { '201': { description: 'created', schema: R.Session } },
  },
  {
    method: 'get',
    path: '/hosts',
    tag: 'sessions',
    summary: 'The daemons sharing this database, with their heartbeats',
    responses: ok('the hosts', z.object({ hosts: z.array(R.Host) })),
  },
  {
    method: 'get',
    path: '/sessions',
    tag: 'sessions',
    summary: 'List sessions, most recently active first',
    responses: ok('the list', z.object({ sessions: z.array(R.Session) })),
  },
  {
    method: 'get',
    path: '/sessions/:id',
    tag: 'sessions',
    summary: 'One session',
    responses: ok('the session', R.Session),
  },
  {
    method: 'patch',
    path: '/sessions/:id',
    tag: 'sessions',
    summary: 'Rename or reconfigure a session',
    body: PatchSessionBody,
    responses: ok('the session', R.Session),
  },
  {
    method: 'delete',
    path: '/sessions/:id',
    tag: 'sessions',
    summary: 'Delete a session (cancels a running turn first)',
    responses: { '204': { description: 'deleted' } },
  },
  {
    method: 'post',
    path: '/sessions/:id/turns',
    tag: 'turns',
    summary: 'Start a turn, or queue it behind the running one',
    body: StartTurnBody,
    responses: {
      '202': { description: 'started or queued (turn.status)', schema: z.object({ turn: R.Turn }) },
    },
  },
  {
    method: 'patch',
    path: '/sessions/:id/turns/:turnId',
    tag: 'queue',
    summary: "Edit a queued turn's prompt",
    body: EditTurnBody,
    responses: ok('the turn', z.object({ turn: R.Turn })),
  },
  {
    method: 'delete',
    path: '/sessions/:id/turns/:turnId',
    tag: 'queue',
    summary: 'Remove a queued turn (it ends cancelled)',
    responses: ok('the turn', z.object({ turn: R.Turn })),
  },
  {
    method: 'post',
    path: '/sessions/:id/queue/resume',
    tag: 'queue',
    summary: 'Run a paused queue again',
    responses: ok('resumed or not', z.object({ resumed: z.boolean(), session: R.Session })),
  },
  {
    method: 'get',
    path: '/sessions/:id/turns',
    tag: 'turns',
    summary: "A session's turns",
    responses: ok('the turns', z.object({ turns: z.array(R.Turn) })),
  },
  {
    method: 'post',
    path: '/sessions/:id/cancel',
    tag: 'turns',
    summary: 'Cancel the running turn (and the queue with clearQueue)',
    body: CancelBody,
    optionalBody: true,
    responses: ok(
      'what was cancelled',
      z.object({
        cancelled: z.boolean(),
        turn: R.Turn.nullable(),
        removedTurnIds: z.array(z.string()),
      })
    ),
  },
  {
    method: 'get',
    path: '/sessions/:id/permissions',
    tag: 'approvals',
    summary: 'Pending approvals and questions',
    responses: ok('the pending requests', z.object({ permissions: z.array(R.Permission) })),
  },
  {
    method: 'post',
    path: '/sessions/:id/permissions/:requestId',
    tag: 'approvals',
    summary: 'Answer an approval or a question',
    body: AnswerPermissionBody,
    responses: {
      '200': { description: 'the resolved request', schema: R.Permission },
      '409': { description: 'already resolved' },
    },
  },
  {
    method: 'get',
    path: '/sessions/:id/rules',
    tag: 'approvals',
    summary: 'The session\'s "allow for this session" rules',
    responses: ok('the rules', z.object({ rules: z.array(R.Rule) })),
  },
  {
    method: 'delete',
    path: '/sessions/:id/rules/:ruleId',
    tag: 'approvals',
    summary: 'Drop a rule',
    responses: { '204': { description: 'dropped' } },
  },
  {
    method: 'get',
    path: '/sessions/:id/events',
    tag: 'events',
    summary: 'Attach: replay after the cursor (Last-Event-ID or ?after=), caught-up, then live',
    query: z.object({ after: HistoryQuery.shape.after }),
    responses: sse('the event stream'),
  },
  {
    method: 'get',
    path: '/sessions/:id/history',
    tag: 'events',
    summary: 'A page of the event log',
    query: HistoryQuery,
    responses: ok(
      'events',
      z.object({ events: z.array(R.Event), lastEventId: z.number(), hasMore: z.boolean() })
    ),
  },
  {
    method: 'get',
    path: '/sessions/:id/export',
    tag: 'events',
    summary: 'A Markdown transcript or the exact log as JSON lines',
    query: ExportQuery,
    responses: {
      '200': {
        description: 'text/markdown (md) or application/x-ndjson (jsonl)',
        type: 'text/markdown',
      },
    },
  },
  {
    method: 'get',
    path: '/events',
    tag: 'events',
    summary: 'The session list as a stream',
    responses: sse('session.updated / session.deleted messages'),
  },
  {
    method: 'get',
    path: '/openapi.json',
    tag: 'meta',
    summary: 'This document',
    responses: ok('OpenAPI 3.1'),
  },
  {
    method: 'get',
    path: '/metrics',
    tag: 'meta',
    summary: 'Prometheus metrics',
    responses: { '200': { description: 'text exposition format', type: 'text/plain' } },
  },
  {
    method: 'get',
    path: '/push/vapid-public-key',
    tag: 'push',
    summary: "The daemon's VAPID public key (base64url, uncompressed P-256)",
    responses: ok('the key', z.object({ publicKey: z.string() })),
  },
  {
    method: 'post',
    path: '/push/subscriptions',
    tag: 'push',
    summary: "Subscribe a browser's push endpoint",
    body: PushSubscriptionBody,
    responses: { '201': { description: 'subscribed', schema: z.object({ endpoint: z.string() }) } },
  },
  {
    method: 'delete',
    path: '/push/subscriptions',
    tag: 'push',
    summary: 'Unsubscribe a push endpoint',
    body: PushUnsubscribeBody,
    responses: { '204': { description: 'gone (known or not)' } },
  },
  {
    method: 'get',
    path: '/sw.js',
    tag: 'page',
    summary: 'The service worker',
    open: true,
    responses: { '200': { description: 'JavaScript', type: 'text/javascript' } },
  },
  {
    method: 'get',
    path: '/manifest.webmanifest',
    tag: 'page',
    summary: 'The web app manifest',
    open: true,
    responses: { '200': { description: 'manifest', type: 'application/manifest+json' } },
  },
  {
    method: 'get',
    path: '/icons/*',
    tag: 'page',
    summary: 'App icons',
    open: true,
    responses: { '200': { description: 'PNG', type: 'image/png' } },
  },
  {
    method: 'get',
    path: '/fs/dirs',
    tag: 'page',
    summary: 'Subdirectories of a folder inside the allowed roots (the folder picker)',
    query: z.object({ path: z.string().optional() }),
    responses: {
      ...ok(
        'the folder and its subdirectories',
        z.object({
          path: z.string().nullable(),
          parent: z.string().nullable(),
          dirs: z.array(z.object({ name: z.string(), path: z.string() })),
          roots: z.array(z.string()),
          truncated: z.boolean(),
        })
      ),
      '403': { description: 'outside the allowed roots' },
      '404': { description: 'no such folder' },
    },
  },
  {
    method: 'get',
    path: '/config',
    tag: 'page',
    summary: 'What the page may offer when creating a session',
    responses: ok(
      'the roots and whether bypassPermissions can work',
      z.object({
        allowedRoots: z.array(z.string()),
        runningAsRoot: z.boolean(),
        bypassPermissionsAvailable: z.boolean(),
      })
    ),
  },
]
