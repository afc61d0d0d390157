import { describe, expect, it } from 'vitest';
import { connectionOptions, parseRedisUrl, redactSecrets, RedisUrlError } from '../../../../../src/main/services/distributed/redisUrl';

describe('parseRedisUrl()', () => {
  it('reads host, port, database and defaults (6379, db 0)', () => {
    expect(parseRedisUrl('redis://box.lab')).toMatchObject({
      tls: false,
      host: 'box.lab',
      port: 6379,
      db: 0,
      username: undefined,
      password: undefined,
      display: 'redis://box.lab:6379/0',
    });
    expect(parseRedisUrl('redis://10.0.0.5:7000/3')).toMatchObject({ host: '10.0.0.5', port: 7000, db: 3 });
    expect(parseRedisUrl('redis://[::1]:6380')).toMatchObject({ host: '::1', port: 6380, display: 'redis://[::1]:6380/0' });
  });

  it('takes a password (and user) from the URL, percent-decoded, and never shows them', () => {
    const t = parseRedisUrl('rediss://alice:p%40ss%2Fw0rd@redis.lab:6380/1');
    expect(t).toMatchObject({ tls: true, username: 'alice', password: 'p@ss/w0rd', port: 6380, db: 1 });
    expect(t.display).toBe('rediss://***@redis.lab:6380/1');
    expect(t.display).not.toContain('alice');
    expect(parseRedisUrl('redis://:secret@h').display).toBe('redis://***@h:6379/0');
  });

  it('turns rediss:// into TLS options checked against the host name', () => {
    const o = connectionOptions(parseRedisUrl('rediss://:pw@redis.lab')) as Record<string, unknown>;
    expect(o).toMatchObject({ host: 'redis.lab', port: 6379, password: 'pw', tls: { servername: 'redis.lab' }, maxRetriesPerRequest: null });
    expect((connectionOptions(parseRedisUrl('redis://h')) as Record<string, unknown>).tls).toBeUndefined();
  });

  it.each([
    ['http://h:6379', /scheme redis:\/\/ or rediss:\/\//],
    ['not a url', /expected a URL/],
    ['redis://h:99999', /port must be an integer/],
    ['redis://h/x1', /database must be an integer/],
  ])('refuses %s naming the flag', (url, rule) => {
    expect(() => parseRedisUrl(url, '--redis')).toThrow(RedisUrlError);
    expect(() => parseRedisUrl(url, '--redis')).toThrow(/^--redis: /);
    expect(() => parseRedisUrl(url, '--redis')).toThrow(rule);
  });

  it('does not quote a password in the message of a URL it refuses', () => {
    let msg = '';
    try {
      parseRedisUrl('redis://:hunter2@h:notaport');
    } catch (e) {
      msg = (e as Error).message;
    }
    expect(msg).toMatch(/^--redis: /);
    expect(msg).not.toContain('hunter2');
  });
});

describe('redactSecrets()', () => {
  it('removes the password and user in plain and URL-encoded form, and any URL user-info', () => {
    const t = parseRedisUrl('redis://bob:a%2Fb@h');
    const s = redactSecrets('WRONGPASS for bob with a/b (a%2Fb) at redis://bob:a%2Fb@h:6379 and redis://x:y@other', t);
    expect(s).not.toContain('a/b');
    expect(s).not.toContain('a%2Fb');
    expect(s).not.toContain('bob');
    expect(s).not.toContain('x:y');
    expect(s).toContain('redis://***@other');
  });
});
