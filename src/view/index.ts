/**
 * The read model (DESIGN.md §5, no FUSE): snapshot listing and as-of resolution, snapshot-tree
 * reading, and the chain reader. The mount (`src/fs/`), `timefs ls|cat`, `restore` and `check`
 * build on these interfaces: {@link SnapshotCatalogue}, {@link TreeReader}, {@link VersionReader}.
 */
export { dayName, endOfDayMs, newestBefore, parseSnapshotSpec, resolveSnapshotSpec, type DayOptions, type SnapshotSpec, type Timed } from './as-of.js';
export { DeltaCache, DEFAULT_DELTA_CACHE_BYTES, type ObjectCache } from './delta-cache.js';
export { decodeEntry, joinPath, type TreeEntry } from './entry-decode.js';
export { integrityError, SequentialHashCheck, MAX_HELD_BYTES, type VersionPlace } from './hash-check.js';
export { assembleRange, planBaseSpans, MERGE_GAP, MAX_SPAN, type BaseSpan } from './range-assembly.js';
export { GridSnapshotCatalogue, snapshotFromEntry, sortSnapshots, type SnapshotCatalogue, type SnapshotInfo } from './snapshot-catalogue.js';
export { findChild, GridTreeReader, pathSegments, rootEntry, type TreePath, type TreeReader, type TreeReaderOptions } from './tree-reader.js';
export { ChainVersionReader, DEFAULT_CHUNK, DEFAULT_READ_AHEAD, type VersionHandle, type VersionReader, type VersionReaderOptions, type WholeReadOptions } from './version-reader.js';
export { contentIdentity, attributeIdentity, shortHash, versionRows, type PathState, type VersionChange, type VersionRow } from './path-versions.js';
export { childStates, entryAt, listerSide, pathStates, type ChildHistory, type DirectoryLister, type SnapshotRoot } from './path-states.js';
export { diffTrees, type DiffChange, type DiffKind, type DiffNode, type DiffOptions, type DiffSide } from './tree-diff.js';
export { comparePaths, searchSnapshots, type EntryFilter, type MatchRun, type PathMatches, type SearchOptions } from './tree-search.js';
