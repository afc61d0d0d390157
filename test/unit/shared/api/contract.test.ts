import { describe, expect, expectTypeOf, it } from 'vitest';
import {
  EVENT_CHANNELS,
  INVOKE_CHANNELS,
  REQUEST_SCHEMAS,
  isInvokeChannel,
  validateRequest,
  type EventChannel,
  type InvokeChannel,
} from '../../../../src/shared/api/contract';
import { exitCodeFor } from '../../../../src/shared/api/result';

describe('contract allowlists', () => {
  it('list every invoke channel of InvokeMap exactly once', () => {
    expectTypeOf<(typeof INVOKE_CHANNELS)[number]>().toEqualTypeOf<InvokeChannel>();
    expect(new Set(INVOKE_CHANNELS).size).toBe(INVOKE_CHANNELS.length);
    expect(Object.keys(REQUEST_SCHEMAS).sort()).toEqual([...INVOKE_CHANNELS].sort());
  });

  it('list every event channel of EventMap exactly once', () => {
    expectTypeOf<(typeof EVENT_CHANNELS)[number]>().toEqualTypeOf<EventChannel>();
    expect(new Set(EVENT_CHANNELS).size).toBe(EVENT_CHANNELS.length);
  });

  it('name channels area:verb / area:noun', () => {
    for (const c of [...INVOKE_CHANNELS, ...EVENT_CHANNELS]) expect(c).toMatch(/^[a-z]+:[a-z]+$/);
  });

  it('reject channels outside the allowlist', () => {
    expect(isInvokeChannel('run:start')).toBe(true);
    expect(isInvokeChannel('fs:readFile')).toBe(false);
    expect(isInvokeChannel(42)).toBe(false);
  });
});

describe('validateRequest()', () => {
  it('accepts well-formed payloads', () => {
    expect(validateRequest('run:stop', { runId: 'run-1' }).ok).toBe(true);
    expect(validateRequest('run:step', { runId: 'run-1', steps: 5 }).ok).toBe(true);
  });

  it.each([
    ['run:stop', { runId: '../etc' }, 'runId'],
    ['run:stop', { runId: 'a/b' }, 'runId'],
    ['run:stop', { runId: 'ok', extra: 1 }, 'extra'],
    ['run:step', { runId: 'ok', steps: 0 }, 'steps'],
    ['session:rename', { sessionId: 'x', name: '' }, 'name'],
  ] as const)('rejects %s %j naming the field', (channel, payload, field) => {
    const r = validateRequest(channel, payload);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.message).toContain(field);
  });
});

describe('exitCodeFor()', () => {
  it('maps errors to the CLI exit codes', () => {
    expect(exitCodeFor('invalid-config')).toBe(2);
    expect(exitCodeFor('run-diverged')).toBe(3);
    expect(exitCodeFor('too-large')).toBe(4);
    expect(exitCodeFor('internal')).toBe(1);
  });
});
