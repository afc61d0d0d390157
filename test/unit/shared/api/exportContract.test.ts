import { describe, expect, it } from 'vitest';
import { validateRequest } from '../../../../src/shared/api/contract';

const id32 = 'ab'.repeat(16);

describe('validateRequest() for the export channels', () => {
  it.each([
    ['export:csv', { runIds: ['run-a', 'run-b'], wide: true }],
    ['export:report', { runIds: ['run-a'] }],
    ['export:report', { sessionId: 's-1' }],
    ['export:arrays', { runId: 'run-a' }],
    ['session:archive', { sessionId: 's-1' }],
    ['session:import', { uploadId: id32 }],
    ['file:save', { fileId: id32 }],
    ['file:save', { fileName: 'loss-chart@2x.png', mime: 'image/png', dataBase64: 'iVBORw0KGgo=' }],
    ['file:open', { purpose: 'archive' }],
  ] as const)('accepts %s %j', (channel, req) => {
    expect(validateRequest(channel, req)).toMatchObject({ ok: true });
  });

  it.each([
    ['export:csv', { runIds: [] }, 'runIds'],
    ['export:csv', { runIds: ['../x'] }, 'runIds.0'],
    ['export:report', { runIds: ['run-a'], sessionId: 's-1' }, 'one of them'],
    ['export:report', {}, 'one of them'],
    ['session:import', { uploadId: '../../etc/passwd' }, 'uploadId'],
    ['file:save', { fileName: '../../.bashrc', mime: 'text/plain', dataBase64: '' }, 'fileName'],
    ['file:save', { fileName: 'a.png', mime: 'image/png', dataBase64: 'not base64!' }, 'dataBase64'],
    ['file:save', { fileId: id32, extra: 1 }, ''],
    ['file:open', { purpose: 'anything' }, 'purpose'],
  ] as const)('refuses %s %j naming %s', (channel, req, field) => {
    const r = validateRequest(channel, req);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.message).toContain(field);
  });
});
