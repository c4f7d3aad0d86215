/**
 * `mcp-assay serve` in a real browser: Debian's headless Chromium driven by playwright-core. It opens the
 * catalog, searches, opens a server page and checks that hostile tool text stays inert: no dialog, no
 * injected element, the text shown as text, invisible characters as visible markers.
 */
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../src/cli/serve.js';
import { serveSource, startServer } from '../src/cli/serve.js';
import { HOSTILE_NAME, ODD_NAME, SCRIPT_DESCRIPTION, fillStore } from '../src/report/html/test-helpers/hostile-store.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
const inCi = process.env.CI === 'true';

if (!haveChromium && !inCi) {
  console.warn(`serve-browser: skipped, no Chromium at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH); CI=true makes this a failure`);
}

describe.runIf(!haveChromium && inCi)('serve in a browser (CI)', () => {
  it('needs Chromium', () => {
    expect.fail(`CI=true but no Chromium at ${CHROMIUM}: install Debian's chromium package or set CHROMIUM_PATH`);
  });
});

describe.runIf(haveChromium)('serve in a real browser', () => {
  let work: string;
  let running: RunningServer;
  let closeSource: () => void;
  let browser: Browser;
  let page: Page;
  const dialogs: string[] = [];
  const pageErrors: string[] = [];

  beforeAll(async () => {
    work = mkdtempSync(path.join(tmpdir(), 'assay-browser-'));
    const db = path.join(work, 'assay.db');
    fillStore(db);
    const opened = serveSource(db);
    closeSource = opened.close;
    running = await startServer({ source: opened.source, host: '127.0.0.1', port: 0 });
    // Root in a container has no user namespaces for Chromium's sandbox; the pages come from our own loopback server.
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu'], timeout: 60_000 });
    page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    page.on('dialog', (dialog) => {
      dialogs.push(dialog.message());
      void dialog.dismiss();
    });
    page.on('pageerror', (error) => pageErrors.push(error.message));
  });

  afterAll(async () => {
    await browser?.close();
    await running?.close();
    closeSource?.();
    if (process.env.ASSAY_KEEP_SCREENSHOTS !== '1') rmSync(work, { recursive: true, force: true });
  });

  it('opens the catalog, searches and opens a server page', async () => {
    await page.goto(`${running.origin}/`);
    expect(await page.title()).toBe('Catalog · mcp-assay');
    expect(await page.locator('table.catalog tbody tr').count()).toBe(5);

    await page.fill('input[name="q"]', 'evil');
    await Promise.all([page.waitForURL(/q=evil/), page.click('button[type="submit"]')]);
    const rows = page.locator('table.catalog tbody tr');
    expect(await rows.count()).toBe(1);
    expect(await page.locator('#summary').innerText()).toBe('1 server matching “evil”');

    await Promise.all([page.waitForURL(/\/server\/evil-mcp$/), rows.locator('a').first().click()]);
    expect(await page.locator('h1').innerText()).toBe(HOSTILE_NAME);
  });

  it('shows the hostile description as inert text', async () => {
    expect(dialogs).toEqual([]);
    expect(pageErrors).toEqual([]);
    // A string, not a function: this project compiles without the DOM types, and the code runs in the page.
    const dom = (await page.evaluate(`({
      scripts: document.querySelectorAll('script').length,
      handlers: [...document.querySelectorAll('*')].filter((el) => [...el.attributes].some((a) => a.name.startsWith('on'))).length,
      images: [...document.querySelectorAll('img')].map((img) => img.getAttribute('src')),
      description: document.querySelector('.tool .description')?.textContent ?? '',
    })`)) as { scripts: number; handlers: number; images: string[]; description: string };
    expect(dom.scripts).toBe(0);
    expect(dom.handlers).toBe(0);
    expect(dom.images).toEqual(['/badge/evil-mcp.svg']);
    expect(dom.description).toBe(SCRIPT_DESCRIPTION);

    const text = await page.locator('main').innerText();
    expect(text).toContain('<script>alert(1)</script>');
    expect(text).toContain('"><img src=x onerror=alert(2)>');
    expect(text).toContain('⟨U+001B⟩[31mred');
    expect(text).toContain('safe ⟨U+202E⟩gnp.exe⟨U+202C⟩');
    expect(text).toContain('zero⟨U+200B⟩width');
    expect(text).not.toMatch(/[\u001b\u200b\u202a-\u202e\u2066-\u2069]/);
  });

  it('applies the stylesheet under the strict CSP', async () => {
    expect(await page.evaluate(`getComputedStyle(document.querySelector('.inv')).backgroundColor`)).toBe('rgb(255, 224, 138)');
    const badgeLoaded = await page.evaluate(`(() => { const img = document.querySelector('img[src="/badge/evil-mcp.svg"]'); return img.complete && img.naturalWidth > 0; })()`);
    expect(badgeLoaded).toBe(true);
  });

  it('takes a screenshot of the server page', async () => {
    const file = path.join(work, 'server-page.png');
    await page.screenshot({ path: file, fullPage: true });
    expect(statSync(file).size).toBeGreaterThan(10_000);
    await page.goto(`${running.origin}/?sort=score-asc`);
    const catalog = path.join(work, 'catalog.png');
    await page.screenshot({ path: catalog, fullPage: true });
    expect(statSync(catalog).size).toBeGreaterThan(5_000);
    if (process.env.ASSAY_KEEP_SCREENSHOTS === '1') console.log(`serve-browser: screenshots in ${work}`);
  });

  it('reaches a package with an odd name from the catalog', async () => {
    await page.goto(`${running.origin}/?q=${encodeURIComponent('na me')}`);
    await Promise.all([page.waitForURL(/\/server\//), page.locator('table.catalog tbody a').first().click()]);
    expect(await page.locator('h1').innerText()).toBe(ODD_NAME);
    expect(await page.title()).toBe(`${ODD_NAME} · mcp-assay`);
    expect(dialogs).toEqual([]);
  });
});
