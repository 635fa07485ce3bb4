// Headless Chromium (Debian's, driven by playwright-core; no browser download) walks the pages of
// `timefs serve`: timeline → snapshot → directory → file → versions → diff → download, without
// JavaScript, at phone width, by keyboard. Screenshots go to test-artifacts/serve/.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { after, before, describe, it } from 'node:test';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { servedRepo, type ServedRepo } from './serve-fixture.js';

const artifacts = join(new URL('../../..', import.meta.url).pathname, 'test-artifacts', 'serve');
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

let served: ServedRepo;
let context: BrowserContext;
let page: Page;
const profile = mkdtempSync(join(tmpdir(), 'timefs-chromium-'));

before(async () => {
  mkdirSync(artifacts, { recursive: true });
  served = await servedRepo();
  context = await chromium.launchPersistentContext(profile, {
    executablePath: '/usr/bin/chromium', headless: true, args: CHROMIUM_ARGS,
    javaScriptEnabled: false, acceptDownloads: true, viewport: { width: 390, height: 844 },
  });
  page = context.pages()[0] ?? (await context.newPage());
});
after(async () => {
  await context?.close();
  await served?.stop();
  rmSync(profile, { recursive: true, force: true });
});

async function shot(name: string): Promise<void> {
  await page.screenshot({ path: join(artifacts, `${name}.png`), fullPage: true });
}

describe('timefs serve in headless Chromium (no JavaScript, phone width)', () => {
  it('walks timeline → directory → file → versions → diff → download', async () => {
    await page.goto(served.url);
    assert.equal(await page.title(), 'Timeline · timefs');
    const snapshotLinks = page.locator('main table a');
    assert.equal(await snapshotLinks.count(), 2, 'two snapshots on the timeline');
    await shot('1-timeline');

    await snapshotLinks.first().click(); // the newest snapshot is listed first
    for (const name of served.inSnapshot.split('/')) await page.getByRole('link', { name: `${name}/`, exact: true }).click();
    await page.getByRole('link', { name: 'docs/', exact: true }).click();
    assert.ok((await page.locator('h1').innerText()).endsWith('/docs'));
    const crumbs = await page.getByRole('navigation', { name: 'Breadcrumb' }).locator('a').allInnerTexts();
    assert.equal(crumbs[0], 'timeline');
    assert.equal(crumbs.at(-1), 'docs');
    assert.ok(await page.getByRole('link', { name: 'spaces & <special> #chars%.txt', exact: true }).isVisible());
    await shot('2-directory');

    await page.getByRole('link', { name: 'notes.txt', exact: true }).click();
    assert.match(await page.locator('h1').innerText(), /docs\/notes\.txt$/);
    assert.equal(await page.getByRole('link', { name: /^Download the version of / }).count(), 2, 'both versions listed');
    await shot('3-file-versions');

    await page.getByRole('button', { name: 'Show changes' }).click();
    const diff = await page.locator('pre.diff').innerText();
    assert.match(diff, /-second line\n/);
    assert.match(diff, /\+second line, edited\n/);
    assert.match(diff, /\+third line/);
    await shot('4-diff');

    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Download this version' }).click()]);
    const saved = join(served.work, 'downloaded-notes.txt');
    await download.saveAs(saved);
    assert.equal(download.suggestedFilename(), 'notes.txt');
    assert.equal(readFileSync(saved, 'utf8'), served.notesVersions[1]);
  });

  it('the search box finds a file by part of its name and links to it', async () => {
    await page.goto(served.url);
    await page.getByLabel('Search file names').fill('NOTES');
    await page.getByRole('button', { name: 'Search' }).click();
    assert.match(await page.locator('main').innerText(), /1 path match/);
    await shot('5-search');
    await page.locator('main ol a').first().click();
    assert.match(await page.locator('h1').innerText(), /docs\/notes\.txt$/);
  });

  it('is usable by keyboard: the first Tab reaches the skip link, which moves focus to the content', async () => {
    await page.goto(served.url);
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate('document.activeElement && document.activeElement.textContent'), 'Skip to content');
    const overflow = await page.evaluate<number>('document.documentElement.scrollWidth - document.documentElement.clientWidth');
    assert.ok(overflow <= 0, `the timeline fits a 390 px wide phone screen (overflow ${overflow} px)`);
  });
});
