import { describe, expect, it } from 'vitest';
import { authorize, hostAllowed, originAllowed, readCookie, cookieName, tokenCookie } from '../../../../src/main/server/security';

const base = { token: 'secret-token', port: 4321, host: '127.0.0.1:4321', origin: undefined, cookie: undefined, queryToken: null, strict: false };
const COOKIE_NAME = cookieName(4321);

describe('authorize()', () => {
  it('accepts the token in the query once and asks to set the cookie', () => {
    expect(authorize({ ...base, queryToken: 'secret-token' })).toEqual({ ok: true, setCookie: true });
  });
  it('accepts the cookie afterwards', () => {
    expect(authorize({ ...base, cookie: `a=1; ${COOKIE_NAME}=secret-token` })).toEqual({ ok: true, setCookie: false });
  });
  it('answers 401 without a token or with a wrong one', () => {
    expect(authorize(base)).toMatchObject({ ok: false, status: 401 });
    expect(authorize({ ...base, queryToken: 'secret-tokem' })).toMatchObject({ ok: false, status: 401 });
  });
  it('answers 403 to a foreign Host (DNS rebinding) even with the token', () => {
    expect(authorize({ ...base, host: 'evil.example:4321', queryToken: 'secret-token' })).toMatchObject({ ok: false, status: 403 });
    expect(authorize({ ...base, host: '127.0.0.1:9999', queryToken: 'secret-token' })).toMatchObject({ ok: false, status: 403 });
  });
  it('answers 403 to a foreign Origin even with the cookie', () => {
    expect(authorize({ ...base, origin: 'http://evil.example', cookie: `${COOKIE_NAME}=secret-token` })).toMatchObject({ ok: false, status: 403 });
  });
  it('requires an Origin and the cookie on WebSocket upgrades (no query token)', () => {
    expect(authorize({ ...base, strict: true, cookie: `${COOKIE_NAME}=secret-token` })).toMatchObject({ ok: false, status: 403 });
    expect(authorize({ ...base, strict: true, origin: 'http://127.0.0.1:4321', queryToken: 'secret-token' })).toMatchObject({ ok: false, status: 401 });
    expect(authorize({ ...base, strict: true, origin: 'http://127.0.0.1:4321', cookie: `${COOKIE_NAME}=secret-token` })).toEqual({
      ok: true,
      setCookie: false,
    });
  });
});

describe('hostAllowed() / originAllowed() / cookies', () => {
  it('know loopback names only', () => {
    expect(hostAllowed('localhost:80', 80)).toBe(true);
    expect(hostAllowed('0.0.0.0:80', 80)).toBe(false);
    expect(originAllowed('http://localhost:80', 80, true)).toBe(true);
    expect(originAllowed('https://127.0.0.1:80', 80, true)).toBe(false);
    expect(originAllowed(undefined, 80, false)).toBe(true);
  });
  it('set an HttpOnly SameSite=Strict cookie and read it back', () => {
    const c = tokenCookie('abc', 4321);
    expect(c).toContain('HttpOnly');
    expect(c).toContain('SameSite=Strict');
    expect(readCookie(`x=1; ${c.split(';')[0]}`, COOKIE_NAME)).toBe('abc');
  });
});

describe('readCookie() with planted cookies (issue 21, item 1)', () => {
  it('reads a value that is not valid percent-encoding as absent instead of throwing', () => {
    expect(readCookie(`${COOKIE_NAME}=%`, COOKIE_NAME)).toBeNull();
    expect(readCookie(`a=1; ${COOKIE_NAME}=%E0%A4%A`, COOKIE_NAME)).toBeNull();
    expect(authorize({ ...base, cookie: `${COOKIE_NAME}=%` })).toMatchObject({ ok: false, status: 401 });
    expect(readCookie(`${COOKIE_NAME}=a%20b`, COOKIE_NAME)).toBe('a b');
  });
});

describe('cookieName() (issue 21, item 8)', () => {
  it('gives every port its own cookie, so two instances on 127.0.0.1 keep their tokens side by side', () => {
    // A browser's jar keys cookies by name (ports are ignored): what one instance sets must not replace the other's.
    const jar = new Map<string, string>();
    const set = (header: string) => {
      const [pair] = header.split(';');
      const i = pair!.indexOf('=');
      jar.set(pair!.slice(0, i), pair!.slice(i + 1));
    };
    set(tokenCookie('token-a', 41234));
    set(tokenCookie('token-b', 8123));
    const header = [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
    const req = (port: number, token: string) => authorize({ ...base, port, host: `127.0.0.1:${port}`, token, cookie: header });
    expect(req(41234, 'token-a')).toEqual({ ok: true, setCookie: false });
    expect(req(8123, 'token-b')).toEqual({ ok: true, setCookie: false });
    expect(cookieName(41234)).not.toBe(cookieName(8123));
  });
});
