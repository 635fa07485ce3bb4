/**
 * Following the indexes of snapshots in order: the entry lines of the current snapshot by path,
 * moved from one snapshot to the next by {@link IndexChanges}, and the listing (child lines) of
 * each directory whose cap the reader has not seen yet. A snapshot that shares most of its tree
 * with the one before costs what changed. Pure.
 */
import { INDEX_FORMAT, type IndexHeader } from './index-format.js';
import { parentKeyOf, pathKeyOf, type IndexChanges } from './index-changes.js';

/** The child lines of one directory, by the directory's cap. */
export type DirectoryLines = Map<string, string[]>;

/** Thrown when changes do not lead to the announced tree (a caller then reads the whole text). */
export class TimelineMismatch extends Error {}

const DIR_TYPE = '"type":"dir"';

/** The cap of an entry line (its second field). */
export function capOfLine(line: string): string {
  const first = line.indexOf('\t');
  return line.slice(first + 1, line.indexOf('\t', first + 1));
}

/** True when the line's attributes say it is a directory (keys are unique and strings escaped, so the text is unambiguous). */
export function isDirLine(line: string): boolean {
  return line.includes(DIR_TYPE, line.lastIndexOf('\t'));
}

/** The entries of the snapshot last moved to, and how to move on. */
export class IndexTimeline {
  private readonly lines = new Map<string, string>();
  private readonly children = new Map<string, Set<string>>();
  private root: string | undefined;

  /**
   * @param known tells whether a directory cap already has a listing with the reader (then it is
   *   not produced again)
   */
  constructor(private readonly known: (dirCap: string) => boolean) {}

  /** The root cap of the current snapshot. */
  get rootCap(): string | undefined {
    return this.root;
  }

  /** Starts over from a whole index; returns the listings of directories not known yet. */
  reset(header: IndexHeader, entryLines: Iterable<string>): DirectoryLines {
    this.lines.clear();
    this.children.clear();
    const dirs: string[] = [];
    for (const line of entryLines) {
      const key = pathKeyOf(line);
      this.lines.set(key, line);
      this.childSet(parentKeyOf(key)).add(key);
      if (isDirLine(line)) dirs.push(line);
    }
    return this.finish(header, dirs);
  }

  /** Moves to the next snapshot; returns the listings of directories not known yet. */
  apply(header: IndexHeader, changes: IndexChanges): DirectoryLines {
    if (this.root === undefined) throw new TimelineMismatch('no index to apply changes to');
    for (const key of changes.removed) {
      if (!this.lines.delete(key)) throw new TimelineMismatch(`a removed path was not there: ${key}`);
      this.children.get(parentKeyOf(key))?.delete(key);
    }
    const dirs: string[] = [];
    for (const line of changes.added) {
      const key = pathKeyOf(line);
      if (!this.lines.has(key)) this.childSet(parentKeyOf(key)).add(key);
      this.lines.set(key, line);
      if (isDirLine(line)) dirs.push(line);
    }
    return this.finish(header, dirs);
  }

  /** The path keys of the current snapshot. */
  keys(): string[] {
    return [...this.lines.keys()];
  }

  /** The current line of a path key, if any. */
  line(key: string): string | undefined {
    return this.lines.get(key);
  }

  private finish(header: IndexHeader, dirLines: readonly string[]): DirectoryLines {
    if (header.format !== INDEX_FORMAT || this.lines.size !== header.entries) {
      throw new TimelineMismatch(`the index announces ${header.entries} entries but ${this.lines.size} follow from the changes`);
    }
    this.root = header.root;
    const out: DirectoryLines = new Map();
    const add = (key: string, cap: string): void => {
      if (this.known(cap) || out.has(cap)) return;
      out.set(cap, [...(this.children.get(key) ?? [])].map((k) => this.lines.get(k) as string));
    };
    add('', header.root);
    for (const line of dirLines) add(pathKeyOf(line), capOfLine(line));
    return out;
  }

  private childSet(key: string): Set<string> {
    let set = this.children.get(key);
    if (!set) this.children.set(key, (set = new Set()));
    return set;
  }
}
