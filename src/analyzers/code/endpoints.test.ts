import { describe, expect, it } from 'vitest';
import { exfilService, hostOfBare, hostOfUrl, isDynamicDns, isExampleHost, isLocalHost, isPublicIp, pathOfUrl } from './endpoints.js';
import { UNKNOWN } from './resolve.js';

describe('hostOfUrl', () => {
  it.each([
    ['https://api.github.com/user', 'api.github.com'],
    ['HTTPS://API.GitHub.com:443/x?y#z', 'api.github.com'],
    ['wss://user:pass@stream.io:9443/ws', 'stream.io'],
    ['http://[2606:4700::1111]:80/', '2606:4700::1111'],
    ['http://45.61.136.12', '45.61.136.12'],
    ['tcp://10.0.0.1:4444', '10.0.0.1'],
    ['http://[0:0:0:0:0:0:0:1]/', '::1'],
    ['http://2130706433/', '127.0.0.1'],
    ['http://0x2d.0x3d.0x88.0x0c/', '45.61.136.12'],
    ['https://B\u00dcCHER.de/', 'xn--bcher-kva.de'],
  ])('%s → %s', (url, host) => {
    expect(hostOfUrl(url)).toBe(host);
  });

  it.each(['/relative/path', 'mailto:a@b.io', 'file:///etc/passwd', `https://${UNKNOWN}.io/x`, 'https://', 'https://exa mple.com', `https://${'a'.repeat(400)}.io`, 'javascript://x', 'http://a b/', 'http://[::1/'])('%s has no host', (url) => {
    expect(hostOfUrl(url)).toBeUndefined();
  });

  it('reads the path for service checks', () => {
    expect(pathOfUrl('https://discord.com/api/webhooks/1/x')).toBe('/api/webhooks/1/x');
    expect(pathOfUrl('https://discord.com')).toBe('');
  });

  it('takes bare hosts for sockets and DNS', () => {
    expect(hostOfBare('185.199.108.153')).toBe('185.199.108.153');
    expect(hostOfBare('a.b.io')).toBe('a.b.io');
    expect(hostOfBare('not a host')).toBeUndefined();
  });
});

describe('address classes', () => {
  it.each(['8.8.8.8', '45.61.136.12', '2606:4700:4700::1111', '::ffff:8.8.8.8'])('%s is public', (ip) => {
    expect(isPublicIp(ip)).toBe(true);
  });
  it.each(['127.0.0.1', '10.1.2.3', '172.16.0.1', '192.168.0.1', '169.254.169.254', '100.64.0.1', '0.0.0.0', '224.0.0.1', '192.0.2.1', '198.51.100.1', '203.0.113.1', '::1', 'fe80::1', 'fd00::1', '2001:db8::1', '::ffff:10.0.0.1', 'example.com'])('%s is not public', (ip) => {
    expect(isPublicIp(ip)).toBe(false);
  });
  it.each(['localhost', 'app.localhost', 'printer.local', 'db.internal', '10.0.0.2'])('%s is local', (host) => {
    expect(isLocalHost(host)).toBe(true);
  });
  it.each(['example.com', 'api.example.org', 'x.test', 'a.invalid'])('%s is a reserved example name', (host) => {
    expect(isExampleHost(host)).toBe(true);
  });
  it.each(['examples.com', 'example.io', 'contest.io'])('%s is a real name', (host) => {
    expect(isExampleHost(host)).toBe(false);
  });
});

describe('services', () => {
  it.each([
    ['discord.com', '/api/webhooks/1/x', 'Discord webhook'],
    ['canary.discordapp.com', '/api/v10/webhooks/1/x', 'Discord webhook'],
    ['api.telegram.org', '/bot123:abc/sendMessage', 'Telegram bot API'],
    ['hooks.slack.com', '/services/T/B/X', 'Slack incoming webhook'],
    ['webhook.site', '/uuid', 'webhook.site'],
    ['eo1234.m.pipedream.net', '', 'Pipedream request bin'],
    ['pastebin.com', '/api/api_post.php', 'paste site'],
    ['transfer.sh', '/x', 'file drop'],
    ['abc.ngrok-free.app', '', 'ngrok tunnel'],
    ['x-y.trycloudflare.com', '', 'Cloudflare quick tunnel'],
    ['c59.oast.fun', '', 'interaction logger'],
  ])('%s%s is %s', (host, path, what) => {
    expect(exfilService(host, path)).toBe(what);
  });
  it.each([['discord.com', '/invite/x'], ['api.telegram.org', ''], ['pastebin.com.evil.io', ''], ['slack.com', '/api/chat.postMessage'], ['notngrok.app', '']])('%s%s is no exfil service', (host, path) => {
    expect(exfilService(host, path)).toBeUndefined();
  });
  it.each(['evil.duckdns.org', 'x.ddns.net', 'a.hopto.org', 'b.zapto.org', 'c.dynu.net', 'x.mooo.com'])('%s is dynamic DNS', (host) => {
    expect(isDynamicDns(host)).toBe(true);
  });
  it.each(['duckduckgo.com', 'noip.com.evil.io', 'ddns.network'])('%s is not dynamic DNS', (host) => {
    expect(isDynamicDns(host)).toBe(false);
  });
});
