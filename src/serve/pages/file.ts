/**
 * A file page: every distinct version of one path (from the view's `history/`), with size, date
 * and download links, and a unified diff between two versions of a text file. The version choice
 * is a plain GET form, so it works without JavaScript.
 */
import { structuredPatch } from 'diff';
import type { MountNode } from '../../view/mount-source.js';
import { hrefFor } from '../request-path.js';
import { bytes, crumbsFor, esc, page, timeElement, when } from './layout.js';

/** One version of the file: its name in `history/<path>/` (the snapshot where it appeared). */
export interface FileVersion {
  name: string;
  node: MountNode;
}

/** What the diff section shows. */
export type DiffView =
  | { kind: 'text'; a: string; b: string; oldText: string; newText: string }
  | { kind: 'refused'; a: string; b: string; reason: string };

/** Largest version (bytes) the page diffs. */
export const MAX_DIFF_BYTES = 2 * 1024 * 1024;

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** The text of `bytes` when it is UTF-8 without NUL bytes, else undefined. */
export function textOf(content: Uint8Array): string | undefined {
  if (content.includes(0)) return undefined;
  try {
    return strictUtf8.decode(content);
  } catch {
    return undefined;
  }
}

function versionLabel(name: string): string {
  const ms = Date.parse(name);
  return Number.isFinite(ms) ? when(ms) : name;
}

function renderDiff(diff: DiffView): string {
  const title = `<h2 id="diff">Changes from ${esc(versionLabel(diff.a))} to ${esc(versionLabel(diff.b))}</h2>`;
  if (diff.kind === 'refused') return `${title}<p>${esc(diff.reason)}</p>`;
  const patch = structuredPatch(diff.a, diff.b, diff.oldText, diff.newText, '', '', { context: 3 });
  if (patch.hunks.length === 0) return `${title}<p>The two versions have the same text.</p>`;
  const lines: string[] = [`<span class="hunk">--- ${esc(diff.a)}</span>`, `<span class="hunk">+++ ${esc(diff.b)}</span>`];
  for (const hunk of patch.hunks) {
    lines.push(`<span class="hunk">@@ -${hunk.oldStart},${hunk.oldLines} +${hunk.newStart},${hunk.newLines} @@</span>`);
    for (const line of hunk.lines) {
      const cls = line.startsWith('+') ? 'add' : line.startsWith('-') ? 'del' : '';
      const label = line.startsWith('+') ? 'added: ' : line.startsWith('-') ? 'removed: ' : '';
      lines.push(cls ? `<span class="${cls}"><span class="skip">${label}</span>${esc(line)}</span>` : `${esc(line)}\n`);
    }
  }
  return `${title}<pre class="diff" tabindex="0" aria-label="Unified diff">${lines.join('')}</pre>`;
}

/**
 * The page of the file at `rest` (its path inside the snapshots of `scope`: `[]`, or
 * `['hosts', host]`), reached as `shown`. `versions` are oldest first.
 */
export function filePage(shown: readonly string[], scope: readonly string[], rest: readonly string[], versions: readonly FileVersion[], diff?: DiffView): string {
  const title = `/${rest.join('/')}`;
  const self = hrefFor(shown, false);
  const rows = [...versions].reverse().map((v, i, list) => {
    const href = hrefFor([...scope, 'history', ...rest, v.name], false);
    const previous = list[i + 1];
    const diffLink = previous ? `<a href="${esc(self)}?view&amp;a=${encodeURIComponent(previous.name)}&amp;b=${encodeURIComponent(v.name)}#diff">changes</a>` : '';
    return `<tr><td><a href="${esc(hrefFor([...scope, v.name, ...rest], false))}?view">${esc(versionLabel(v.name))}</a></td><td class="n">${esc(bytes(v.node.size))}</td>`
      + `<td class="hide-s">${timeElement(v.node.mtimeNs)}</td><td class="actions"><a href="${esc(href)}?download" aria-label="Download the version of ${esc(versionLabel(v.name))}">download</a>${diffLink}</td></tr>`;
  });
  const options = (selected: string | undefined): string => versions.map((v) => `<option value="${esc(v.name)}"${v.name === selected ? ' selected' : ''}>${esc(versionLabel(v.name))}</option>`).join('');
  const older = versions[versions.length - 2]?.name;
  const newer = versions[versions.length - 1]?.name;
  const form = versions.length < 2 ? '' : `<form method="get" action="${esc(self)}#diff"><input type="hidden" name="view" value="">
<label for="a">Compare</label> <select id="a" name="a">${options(diff?.a ?? older)}</select>
<label for="b">with</label> <select id="b" name="b">${options(diff?.b ?? newer)}</select> <button type="submit">Show changes</button></form>`;
  const body = `<h1>${esc(title)}</h1>`
    + `<p class="actions"><a href="${esc(self)}?download">Download this version</a><a href="${esc(self)}">Open</a><a href="${esc(hrefFor([...scope, 'history', ...rest], true))}">history folder</a></p>`
    + `<h2>Versions</h2><p class="muted">${versions.length} distinct version${versions.length === 1 ? '' : 's'}, newest first; each is named by the snapshot where it first appeared.</p>`
    + `<div class="scroll"><table><thead><tr><th scope="col">First seen</th><th scope="col" class="n">Size</th><th scope="col" class="hide-s">Modified</th><th scope="col">Links</th></tr></thead><tbody>${rows.join('')}</tbody></table></div>`
    + form + (diff ? renderDiff(diff) : '');
  return page(title, crumbsFor(shown), body);
}
