/**
 * The WebSocket wire format of browser mode (one JSON object per message). The page connects to
 * `ws://127.0.0.1:PORT/ws` (same origin; the auth cookie travels with the upgrade request).
 *
 *   page → server  { t: 'invoke', id, channel, req }
 *   server → page  { t: 'result', id, result }       result: Result<…> exactly as over IPC
 *   server → page  { t: 'event', channel, payload }  for every EVENT_CHANNELS event
 *
 * Server messages carry non-finite numbers as Electron IPC does: encoded as `null` plus the message's
 * `nonFinite` map (src/shared/json.ts) by {@link encodeServerMessage}, restored by {@link decodeServerMessage}.
 */
import { z } from 'zod';
import type { Result } from './result';
import type { EventChannel, InvokeChannel } from './contract';
import { decodeNonFinite, encodeNonFinite } from '../json';

export const WS_PATH = '/ws';
/**
 * Largest accepted WebSocket message. Data files do not travel in messages: the page uploads them once
 * (src/shared/api/upload.ts) and refers to them by id, so a message only carries configs and small requests.
 */
export const WS_MAX_PAYLOAD = 16 * 1024 * 1024;

export const clientMessageSchema = z
  .object({
    t: z.literal('invoke'),
    id: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
    channel: z.string().max(64),
    req: z.unknown().optional(),
  })
  .strict();

export type ClientMessage = { t: 'invoke'; id: number; channel: InvokeChannel; req?: unknown };
export type ServerMessage = { t: 'result'; id: number; result: Result<unknown> } | { t: 'event'; channel: EventChannel; payload: unknown };

/** A server message as one JSON text, its NaN and ±Infinity kept (null + the message's `nonFinite` map). */
export function encodeServerMessage(msg: ServerMessage): string {
  return JSON.stringify(encodeNonFinite(msg as unknown as Record<string, unknown>));
}

/** Parses a text from {@link encodeServerMessage}, restoring NaN and ±Infinity. Throws on text that is not JSON. */
export function decodeServerMessage(text: string): ServerMessage {
  return decodeNonFinite(JSON.parse(text) as ServerMessage);
}
