/**
 * The frame every page shares: plain HTML that works without JavaScript, readable on a phone
 * (one column, large tap targets), with landmarks, a skip link and visible focus for keyboard
 * and screen-reader users. Every piece of text goes through {@link esc}.
 */
import { formatBytes } from '../../cli/format-bytes.js';
import { hrefFor } from '../request-path.js';

/** HTML-escapes text (for element content and quoted attributes). */
export function esc(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

/** A byte count for people. */
export const bytes = formatBytes;

/** `2009-01-09 01:49:00 UTC` from milliseconds. */
export function when(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').replace(/\.\d{3}Z$/, ' UTC');
}

/** A `<time>` element for a moment in nanoseconds. */
export function timeElement(mtimeNs: bigint): string {
  const ms = Number(mtimeNs / 1_000_000n);
  return `<time datetime="${new Date(ms).toISOString()}">${esc(when(ms))}</time>`;
}

const STYLE = `
:root{color-scheme:light dark;--fg:#1b1b1b;--bg:#fff;--muted:#5c5c5c;--line:#d0d0d0;--link:#0645ad;--add:#e6ffec;--del:#ffebe9}
@media (prefers-color-scheme:dark){:root{--fg:#e8e8e8;--bg:#161616;--muted:#a8a8a8;--line:#3a3a3a;--link:#8ab4f8;--add:#12361b;--del:#4a1515}}
*{box-sizing:border-box}body{margin:0;font:16px/1.5 system-ui,sans-serif;color:var(--fg);background:var(--bg)}
a{color:var(--link)}a:focus,button:focus,select:focus,input:focus{outline:3px solid #f5a623;outline-offset:2px}
.skip{position:absolute;left:-999px}.skip:focus{left:8px;top:8px;background:var(--bg);padding:4px}
header,main,footer{padding:8px 16px;max-width:72rem;margin:auto}header{border-bottom:1px solid var(--line)}
header .brand{font-weight:700;margin-right:1rem}nav ol{list-style:none;padding:0;margin:4px 0;display:flex;flex-wrap:wrap}
nav li+li:before{content:"/";padding:0 .4em;color:var(--muted)}h1{font-size:1.4rem;overflow-wrap:anywhere}
.scroll{overflow-x:auto}table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:6px 8px;border-bottom:1px solid var(--line);vertical-align:top}
td.n,th.n{text-align:right;white-space:nowrap}td a{display:inline-block;min-height:28px;overflow-wrap:anywhere}
.muted{color:var(--muted)}.actions a{margin-right:1rem}form{margin:8px 0}select,input,button{font:inherit;padding:4px;max-width:100%}
pre.diff{font:14px/1.4 ui-monospace,monospace;overflow-x:auto;border:1px solid var(--line);padding:8px}
.diff .add{background:var(--add);display:block}.diff .del{background:var(--del);display:block}.diff .hunk{color:var(--muted);display:block}
@media (max-width:40rem){th.hide-s,td.hide-s{display:none}}`;

/** One breadcrumb: its label and the view path it links to. */
export interface Crumb {
  label: string;
  segments: readonly string[];
}

/** Breadcrumbs for a path: the root, then each ancestor; the last one is the current page. */
export function crumbsFor(segments: readonly string[]): Crumb[] {
  return [{ label: 'timeline', segments: [] }, ...segments.map((label, i) => ({ label, segments: segments.slice(0, i + 1) }))];
}

function breadcrumbs(crumbs: readonly Crumb[]): string {
  const items = crumbs.map((c, i) => (i === crumbs.length - 1
    ? `<li><a href="${esc(hrefFor(c.segments, true))}" aria-current="page">${esc(c.label)}</a></li>`
    : `<li><a href="${esc(hrefFor(c.segments, true))}">${esc(c.label)}</a></li>`));
  return `<nav aria-label="Breadcrumb"><ol>${items.join('')}</ol></nav>`;
}

/** A whole page. `body` is HTML already escaped by the caller. */
export function page(title: string, crumbs: readonly Crumb[], body: string, options: { searchAction?: string } = {}): string {
  const search = options.searchAction
    ? `<form role="search" method="get" action="${esc(options.searchAction)}"><label for="q">Search file names</label> <input id="q" name="q" type="search" required> <button type="submit">Search</button></form>`
    : '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${esc(title)} · timefs</title><style>${STYLE}</style></head>
<body><a class="skip" href="#main">Skip to content</a>
<header><span class="brand">timefs</span>${breadcrumbs(crumbs)}${search}</header>
<main id="main">${body}</main>
<footer class="muted">Read-only view of the backup history. Also available over WebDAV at this address.</footer>
</body></html>
`;
}
