/**
 * New snapshot trees after a rebase: the directories on the way from a snapshot root to a
 * replaced version are rebuilt bottom-up with `mkdir-immutable`; every other subtree keeps its
 * cap, and every edge keeps its metadata except the storage fields of the replaced versions.
 */
import type { EntryMeta } from '../model/entry.js';
import type { CallOptions, NewChild, Store } from '../store/store.js';
import type { ObjectGraph } from './object-graph.js';
import type { Replacement } from './rebase-family.js';

/** The directories (and snapshot roots) whose trees reach one of `caps`. */
export function ancestorsOf(graph: ObjectGraph, caps: Iterable<string>): Set<string> {
  const out = new Set<string>();
  const stack: string[] = [];
  for (const cap of caps) for (const parent of graph.objects.get(cap)?.parents ?? []) stack.push(parent);
  while (stack.length > 0) {
    const cap = stack.pop()!;
    const obj = graph.objects.get(cap);
    if (out.has(cap) || !obj || (obj.kind !== 'dir' && obj.kind !== 'snapshot')) continue;
    out.add(cap);
    for (const parent of obj.parents) stack.push(parent);
  }
  return out;
}

/** Edge metadata with the node's own bookkeeping (`tahoe`) left out. */
function ownMetadata(metadata: Record<string, unknown>): Record<string, unknown> {
  const { tahoe: _ignored, ...rest } = metadata;
  return rest;
}

/**
 * Rewrites the trees of `rootCaps` so that every version in `replacements` is replaced.
 * Returns old root cap → new root cap for the roots that changed.
 */
export async function rewriteTrees(store: Store, graph: ObjectGraph, replacements: ReadonlyMap<string, Replacement>, rootCaps: Iterable<string>, options: CallOptions = {}): Promise<Map<string, string>> {
  const affected = ancestorsOf(graph, replacements.keys());
  const done = new Map<string, Promise<string>>();
  const rewrite = (dirCap: string): Promise<string> => {
    let pending = done.get(dirCap);
    if (!pending) {
      pending = rewriteDir(dirCap);
      done.set(dirCap, pending);
    }
    return pending;
  };
  const rewriteDir = async (dirCap: string): Promise<string> => {
    const children: Record<string, NewChild> = {};
    for (const [name, child] of await store.list(dirCap, options)) {
      const metadata = ownMetadata(child.metadata);
      const meta = metadata.timefs as EntryMeta | undefined;
      const replacement = replacements.get(child.readCap);
      if (replacement && meta?.type === 'file') {
        const updated: EntryMeta = { ...meta, storage: replacement.storage };
        if (replacement.chain === undefined) delete updated.chain;
        else updated.chain = replacement.chain;
        children[name] = { cap: replacement.cap, metadata: { ...metadata, timefs: updated } };
      } else if (affected.has(child.readCap) && meta?.type === 'dir') {
        children[name] = { cap: await rewrite(child.readCap), metadata };
      } else {
        children[name] = { cap: child.readCap, metadata };
      }
    }
    return store.mkdirImmutable(children, options);
  };
  const out = new Map<string, string>();
  for (const root of rootCaps) {
    if (affected.has(root)) out.set(root, await rewrite(root));
  }
  return out;
}
