/** A directory page: breadcrumbs, each entry with its size and mtime, links to versions and downloads. */
import type { DirChild, MountNode } from '../../view/mount-source.js';
import { hrefFor } from '../request-path.js';
import { splitScope } from '../served-view.js';
import { bytes, crumbsFor, esc, page, timeElement } from './layout.js';

/** What the directory page needs about each child. */
export interface DirRow {
  child: DirChild;
  node: MountNode;
  /** The target of a symlink, shown after an arrow. */
  linkTarget?: string;
}

/** The history directory of `shown`'s child `name`, when `shown` lies inside a snapshot (not the root, `hosts/`, nor `history/`). */
function historyOf(shown: readonly string[], name: string): string[] | undefined {
  const { scope, inner } = splitScope(shown);
  if (shown[0] === 'hosts' && scope.length < 2) return undefined;
  if (inner.length === 0 || inner[0] === 'history' || inner[0] === 'hosts') return undefined;
  return [...scope, 'history', ...inner.slice(1), name];
}

/** The page of the directory `shown` (the path as the client named it). */
export function directoryPage(shown: readonly string[], rows: readonly DirRow[], searchAction?: string): string {
  const title = shown.length === 0 ? 'All snapshots' : `/${shown.join('/')}`;
  const sorted = [...rows].sort((a, b) => Number(b.node.type === 'dir') - Number(a.node.type === 'dir') || (a.child.name < b.child.name ? -1 : a.child.name > b.child.name ? 1 : 0));
  const body = sorted.map(({ child, node, linkTarget }) => {
    const path = [...shown, child.name];
    const dir = node.type === 'dir';
    let name: string;
    if (dir) name = `<a href="${esc(hrefFor(path, true))}">${esc(child.name)}/</a>`;
    else if (node.type === 'file') name = `<a href="${esc(hrefFor(path, false))}?view">${esc(child.name)}</a>`;
    else name = `${esc(child.name)} <span class="muted">(${esc(node.type)}${linkTarget === undefined ? '' : ` → ${esc(linkTarget)}`})</span>`;
    const actions: string[] = [];
    if (node.type === 'file') actions.push(`<a href="${esc(hrefFor(path, false))}?download" aria-label="Download ${esc(child.name)}">download</a>`);
    const history = historyOf(shown, child.name);
    if (history && (node.type === 'file' || dir)) actions.push(`<a href="${esc(hrefFor(history, true))}" aria-label="Versions of ${esc(child.name)}">versions</a>`);
    return `<tr><td>${name}</td><td class="n">${dir ? '' : esc(bytes(node.size))}</td><td class="hide-s">${timeElement(node.mtimeNs)}</td><td class="actions">${actions.join('')}</td></tr>`;
  });
  const downloads = shown.length > 0
    ? `<p class="actions">Download this directory: <a href="${esc(hrefFor(shown, true))}?download=zip">.zip</a><a href="${esc(hrefFor(shown, true))}?download=tar">.tar</a></p>`
    : '';
  const table = rows.length === 0
    ? '<p>This directory is empty.</p>'
    : `<div class="scroll"><table><caption class="muted">${rows.length} entr${rows.length === 1 ? 'y' : 'ies'}</caption><thead><tr><th scope="col">Name</th><th scope="col" class="n">Size</th><th scope="col" class="hide-s">Modified</th><th scope="col">Links</th></tr></thead><tbody>${body.join('')}</tbody></table></div>`;
  return page(title, crumbsFor(shown), `<h1>${esc(title)}</h1>${downloads}${table}`, searchAction ? { searchAction } : {});
}
