import type { Client } from './client.js'

/** A pending approval as GET /sessions/:id/permissions lists it (the permission.requested fields). */
export interface PendingPermission {
  requestId: string
  turnId: string
  toolName: string
  summary: string
  kind: 'tool' | 'question' | 'plan'
  input: unknown
  expiresAt: string | null
}

export interface Decision {
  decision: 'allow' | 'deny'
  scope?: 'once' | 'session'
  message?: string
  answers?: Record<string, string>
}

export async function listPending(client: Client, sessionId: string): Promise<PendingPermission[]> {
  const r = await client.get<{ permissions: PendingPermission[] }>(`/sessions/${sessionId}/permissions`)
  return r.permissions
}

export async function decide(client: Client, sessionId: string, requestId: string, d: Decision): Promise<void> {
  await client.post(`/sessions/${sessionId}/permissions/${requestId}`, d)
}
