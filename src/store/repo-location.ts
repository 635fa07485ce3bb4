/**
 * Where a repository is: a repository name (`alias:`, `alias:path`, or a raw directory cap)
 * resolved through the node directory's aliases and, for a path, through the grid.
 */
import { isCap, redactCap } from '../model/cap.js';
import { TimefsError } from '../model/errors.js';
import type { CallOptions, Store } from './store.js';
import { readAliases } from './tahoe/node-directory.js';

/** A parsed repository name. */
export type RepoSpec =
  | { kind: 'cap'; cap: string }
  | { kind: 'alias'; alias: string; path: string[] };

const DIR_CAP = /^URI:(DIR2|DIR2-RO|DIR2-MDMF|DIR2-MDMF-RO):/;

/** Parse `alias:`, `alias:some/path` or `URI:DIR2:…` / `URI:DIR2-RO:…`. */
export function parseRepoSpec(text: string): RepoSpec {
  const spec = text.trim();
  if (isCap(spec)) {
    if (!DIR_CAP.test(spec)) {
      throw new TimefsError('repo.bad-name', `${redactCap(spec)} is not a directory cap; a repository is named by URI:DIR2:… or URI:DIR2-RO:…`);
    }
    return { kind: 'cap', cap: spec };
  }
  const m = /^([^:\s/]+):(.*)$/.exec(spec);
  if (!m) {
    throw new TimefsError('repo.bad-name', `cannot understand the repository name ${JSON.stringify(spec)}`, {
      hint: 'name a repository as ALIAS: (from the Tahoe node\'s private/aliases), ALIAS:path, or a URI:DIR2: cap',
    });
  }
  const path = (m[2] ?? '').split('/').filter((p) => p.length > 0);
  return { kind: 'alias', alias: m[1] as string, path };
}

/** A printable form of a spec that never shows a whole cap. */
export function describeRepoSpec(spec: RepoSpec): string {
  return spec.kind === 'cap' ? redactCap(spec.cap) : `${spec.alias}:${spec.path.join('/')}`;
}

/** The alias's cap, or undefined when the node directory has no such alias. */
export async function lookupAlias(nodeDir: string, alias: string): Promise<string | undefined> {
  return (await readAliases(nodeDir)).get(alias);
}

/** The directory cap a spec names, following `path` through the grid. */
export async function resolveRepoSpec(store: Store, spec: RepoSpec, nodeDir: string, options: CallOptions = {}): Promise<string> {
  if (spec.kind === 'cap') return spec.cap;
  const aliasCap = await lookupAlias(nodeDir, spec.alias);
  if (aliasCap === undefined) {
    throw new TimefsError('repo.bad-name', `no alias "${spec.alias}:" in ${nodeDir}/private/aliases`, {
      hint: `create it with \`timefs init --repo ${spec.alias}:\`, or pass --node-directory for another Tahoe node`,
    });
  }
  let cap = aliasCap;
  const walked: string[] = [];
  for (const name of spec.path) {
    walked.push(name);
    const entry = (await store.list(cap, options)).get(name.normalize('NFC'));
    if (!entry) throw new TimefsError('repo.bad-name', `${spec.alias}:${walked.join('/')} does not exist`);
    if (entry.kind !== 'dir') throw new TimefsError('repo.bad-name', `${spec.alias}:${walked.join('/')} is not a directory`);
    cap = entry.cap;
  }
  return cap;
}
