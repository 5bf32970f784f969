import { describe, expect, it } from 'vitest';
import { bearerMatches, isLoopbackHostHeader, tokenDigest } from './auth';

describe('isLoopbackHostHeader', () => {
  it('accepts the loopback names with or without a port', () => {
    for (const host of [
      'localhost',
      'LocalHost:8787',
      '127.0.0.1',
      '127.0.0.1:1',
      '127.255.0.9:65535',
      '[::1]',
      '[::1]:8787',
      '[0:0:0:0:0:0:0:1]:80',
      '[::0001]',
    ]) {
      expect(isLoopbackHostHeader(host), host).toBe(true);
    }
  });

  it('refuses every other name, missing hosts and tricks', () => {
    for (const host of [
      undefined,
      '',
      'evil.example',
      'localhost.evil.example',
      '127.0.0.1.nip.io',
      'x.localhost',
      '0.0.0.0',
      '128.0.0.1',
      '[::2]',
      '[1::]',
      '[::ffff:127.0.0.1]',
      '[::1',
      '::1',
      'localhost:80:80',
      'localhost:port',
      'localhost@evil',
      '127.0.0.1:8787@evil.example',
      ' localhost',
    ]) {
      expect(isLoopbackHostHeader(host), String(host)).toBe(false);
    }
  });
});

describe('bearerMatches', () => {
  const digest = tokenDigest('secret-token');
  it('matches only the exact token after "Bearer "', () => {
    expect(bearerMatches('Bearer secret-token', digest)).toBe(true);
    expect(bearerMatches('bearer   secret-token ', digest)).toBe(true);
    for (const header of [undefined, '', 'secret-token', 'Bearer secret-tokenx', 'Bearer secret-toke', 'Basic secret-token', 'Bearer ']) {
      expect(bearerMatches(header, digest), String(header)).toBe(false);
    }
  });
});
