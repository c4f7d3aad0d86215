/**
 * Hosts in URLs: extraction and classification (raw public IPs, exfiltration-friendly services, dynamic
 * DNS). Pure string work on capped input.
 */
import { isIP } from 'node:net';
import { UNKNOWN } from './resolve.js';

const MAX_URL = 2048;

/** `scheme://[userinfo@]host[:port]` → host, lower-cased, without brackets. Undefined when not a URL with a static host. */
export function hostOfUrl(value: string): string | undefined {
  const text = value.slice(0, MAX_URL).trim();
  const scheme = /^([a-z][a-z0-9+.-]{0,20}):\/\//i.exec(text);
  if (!scheme) return undefined;
  const protocol = (scheme[1] ?? '').toLowerCase();
  if (!['http', 'https', 'ws', 'wss', 'ftp', 'tcp', 'udp', 'tls', 'ssl'].includes(protocol)) return undefined;
  const rest = text.slice(scheme[0].length);
  let end = rest.length;
  for (const stop of ['/', '?', '#']) {
    const at = rest.indexOf(stop);
    if (at !== -1 && at < end) end = at;
  }
  let authority = rest.slice(0, end);
  if (/\s/.test(authority)) return undefined;
  const at = authority.lastIndexOf('@');
  if (at !== -1) authority = authority.slice(at + 1);
  return hostOfAuthority(authority);
}

/**
 * `host`, `host:port`, `[v6]:port` → canonical host; undefined when any part is dynamic or it is not a
 * host. The WHATWG URL parser canonicalises what attackers use to disguise addresses (`2130706433`,
 * `0x7f.1`, `[0:0:0:0:0:0:0:1]`), exactly as fetch would see them.
 */
export function hostOfAuthority(authority: string): string | undefined {
  if (authority.length === 0 || authority.length > 300 || authority.includes(UNKNOWN) || /[\s/?#@\\]/.test(authority)) return undefined;
  let hostname: string;
  try {
    hostname = new URL(`http://${authority}/`).hostname;
  } catch {
    return undefined;
  }
  const host = (hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname).toLowerCase().replace(/\.$/, '');
  if (isIP(host) !== 0) return host;
  return /^(?=.{1,253}$)(?:[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9])?\.)*[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/.test(host) ? host : undefined;
}

/** A bare host as passed to net.connect / dns.lookup. */
export function hostOfBare(value: string): string | undefined {
  const text = value.trim();
  if (text.includes('/') || text.includes(' ')) return undefined;
  return hostOfAuthority(text);
}

function ipv4Parts(host: string): number[] | undefined {
  if (isIP(host) !== 4) return undefined;
  return host.split('.').map(Number);
}

/** True for loopback, private, link-local, CGNAT, multicast, documentation and unspecified addresses. */
function isNonPublicV4(parts: number[]): boolean {
  const [a = 0, b = 0, c = 0] = parts;
  if (a === 0 || a === 10 || a === 127 || a >= 224) return true;
  if (a === 169 && b === 254) return true;
  if (a === 172 && b >= 16 && b <= 31) return true;
  if (a === 192 && b === 168) return true;
  if (a === 100 && b >= 64 && b <= 127) return true;
  if (a === 192 && b === 0 && (c === 0 || c === 2)) return true;
  if (a === 198 && (b === 18 || b === 19)) return true;
  if (a === 198 && b === 51 && c === 100) return true;
  if (a === 203 && b === 0 && c === 113) return true;
  return false;
}

function isNonPublicV6(host: string): boolean {
  const h = host.toLowerCase();
  if (h === '::' || h === '::1') return true;
  if (/^(?:fe[89ab]|fc|fd|ff)/.test(h)) return true;
  if (h.startsWith('2001:db8') || h.startsWith('2001:0db8')) return true;
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/.exec(h);
  if (mapped?.[1]) {
    const parts = ipv4Parts(mapped[1]);
    return parts === undefined || isNonPublicV4(parts);
  }
  return false;
}

export function isPublicIp(host: string): boolean {
  const kind = isIP(host);
  if (kind === 4) {
    const parts = ipv4Parts(host);
    return parts !== undefined && !isNonPublicV4(parts);
  }
  if (kind === 6) return !isNonPublicV6(host);
  return false;
}

export function isLocalHost(host: string): boolean {
  if (host === 'localhost' || host.endsWith('.localhost') || host.endsWith('.local') || host.endsWith('.internal')) return true;
  return isIP(host) !== 0 && !isPublicIp(host);
}

/** Reserved documentation and test names (RFC 2606 / 6761): never a real destination. */
export function isExampleHost(host: string): boolean {
  return /(?:^|\.)(?:example|test|invalid|localhost)$/.test(host) || /(?:^|\.)example\.(?:com|net|org)$/.test(host);
}

interface ServicePattern {
  what: string;
  host: RegExp;
  /** Path prefix that makes the service an exfiltration endpoint (when the host alone is not enough). */
  path?: RegExp;
}

const EXFIL_SERVICES: readonly ServicePattern[] = [
  { what: 'Discord webhook', host: /^(?:(?:ptb|canary)\.)?discord(?:app)?\.com$/, path: /^\/api(?:\/v\d{1,2})?\/webhooks\b/i },
  { what: 'Telegram bot API', host: /^api\.telegram\.org$/, path: /^\/bot/i },
  { what: 'Slack incoming webhook', host: /^hooks\.slack\.com$/ },
  { what: 'webhook.site', host: /(?:^|\.)webhook\.site$/ },
  { what: 'Pipedream request bin', host: /(?:^|\.)(?:m\.)?pipedream\.net$/ },
  { what: 'request bin', host: /(?:^|\.)(?:requestbin\.(?:com|net|io)|requestcatcher\.com|beeceptor\.com|hookbin\.com|webhook\.cool|postb\.in|mockbin\.org|typedwebhook\.tools)$/ },
  { what: 'paste site', host: /^(?:www\.)?(?:pastebin\.com|paste\.ee|hastebin\.com|hastebin\.skyra\.pw|ghostbin\.(?:com|co)|dpaste\.(?:com|org)|paste\.rs|rentry\.co|termbin\.com|ix\.io|0x0\.st)$/, path: /^\/(?:api|raw|documents|post|\d|$)/i },
  { what: 'file drop', host: /^(?:www\.)?(?:transfer\.sh|file\.io|temp\.sh|bashupload\.com|oshi\.at|catbox\.moe|litterbox\.catbox\.moe|gofile\.io|anonfiles\.com|filebin\.net)$/ },
  { what: 'ngrok tunnel', host: /(?:^|\.)ngrok(?:-free)?\.(?:app|io|dev)$/ },
  { what: 'Cloudflare quick tunnel', host: /(?:^|\.)trycloudflare\.com$/ },
  { what: 'other tunnel', host: /(?:^|\.)(?:loca\.lt|localtunnel\.me|serveo\.net|localhost\.run|lhr\.life|pinggy\.(?:io|link)|bore\.pub)$/ },
  { what: 'interaction logger', host: /(?:^|\.)(?:interact\.sh|interactsh\.com|oast\.(?:pro|live|site|online|fun|me)|burpcollaborator\.net|oastify\.com|canarytokens\.com|dnslog\.cn|ceye\.io)$/ },
];

const DYNAMIC_DNS = /(?:^|\.)(?:duckdns\.org|ddns\.net|hopto\.org|zapto\.org|sytes\.net|no-ip\.(?:org|biz|info|com)|noip\.me|servebeer\.com|serveftp\.com|servehttp\.com|myftp\.(?:biz|org)|redirectme\.net|dynu\.(?:com|net)|dynu\.net|freedns\.afraid\.org|mooo\.com|chickenkiller\.com|strangled\.net|us\.to|dyndns\.(?:org|info|tv)|dynv6\.net|dedyn\.io|linkpc\.net|myddns\.me|ddnsfree\.com|ddnsgeek\.com)$/;

/** The exfiltration service a URL (or bare host) names, if any. */
export function exfilService(host: string, path = ''): string | undefined {
  for (const service of EXFIL_SERVICES) {
    if (!service.host.test(host)) continue;
    if (service.path && !service.path.test(path)) continue;
    return service.what;
  }
  return undefined;
}

export function isDynamicDns(host: string): boolean {
  return DYNAMIC_DNS.test(host);
}

/** The path part of a URL, for service patterns that depend on it. */
export function pathOfUrl(value: string): string {
  const text = value.slice(0, MAX_URL);
  const scheme = text.indexOf('://');
  if (scheme === -1) return '';
  const slash = text.indexOf('/', scheme + 3);
  return slash === -1 ? '' : text.slice(slash);
}
