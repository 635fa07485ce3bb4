/**
 * The recovery sheet `timefs key` prints: everything a blank machine needs to restore, and
 * nothing else. This is the only place in timefs that writes a whole cap, and only for `key`.
 */
import type { EncodingParameters } from '../store/tahoe/node-directory.js';

/** What goes on a recovery sheet. */
export interface RecoveryInfo {
  readCap: string;
  /** Only when the user asked for it (`--write`). */
  writeCap?: string;
  /** The grid's introducer fURL, when the node directory names one. */
  introducer?: string;
  /** Where the introducer was looked for, for the message when it was not found. */
  nodeDirectory: string;
  encoding?: EncodingParameters;
  repoId: string;
  /** ISO time the repository was created. */
  created: string;
  /** ISO time of printing. */
  printedAt: string;
  host: string;
}

/** The machine-readable sheet (`timefs key --json`). */
export function recoveryJson(info: RecoveryInfo): Record<string, unknown> {
  return {
    readCap: info.readCap,
    ...(info.writeCap === undefined ? {} : { writeCap: info.writeCap }),
    introducer: info.introducer ?? null,
    repoId: info.repoId,
    encoding: info.encoding ?? null,
    created: info.created,
    printedAt: info.printedAt,
  };
}

/** The `tahoe create-client` line that joins a new client node to the grid. */
export function createClientCommand(info: Pick<RecoveryInfo, 'introducer' | 'encoding'>): string {
  const encoding = info.encoding
    ? ` --shares-needed=${info.encoding.needed} --shares-happy=${info.encoding.happy} --shares-total=${info.encoding.total}`
    : '';
  return `tahoe create-client --introducer=${info.introducer ?? 'INTRODUCER-FURL'}${encoding} ~/.tahoe`;
}

/** The printable sheet, one string per line. */
export function recoverySheetLines(info: RecoveryInfo): string[] {
  const rule = '='.repeat(72);
  const lines = [
    rule,
    'timefs recovery sheet',
    rule,
    `Repository id:     ${info.repoId}`,
    `Repository made:   ${info.created}`,
    `Sheet printed:     ${info.printedAt} on ${info.host}`,
    '',
    'READ CAP: restores every backup. Anyone holding it can read them all.',
    `  ${info.readCap}`,
  ];
  if (info.writeCap !== undefined) {
    lines.push('', 'WRITE CAP: also changes and removes snapshots. Keep it apart from this machine.', `  ${info.writeCap}`);
  }
  lines.push('', 'Introducer fURL of the grid:');
  lines.push(info.introducer ? `  ${info.introducer}` : `  (not found in ${info.nodeDirectory}: ask the grid's operator, and write it here)`);
  if (info.encoding) lines.push(`Encoding:          ${info.encoding.needed}-of-${info.encoding.total} (happy ${info.encoding.happy})`);
  lines.push(
    '',
    'On a new machine (install Tahoe-LAFS and timefs first):',
    `  1. ${createClientCommand(info)}`,
    '     tahoe run ~/.tahoe &        # wait until it sees the storage servers',
    `  2. timefs snapshots --repo ${info.readCap}`,
    `  3. timefs restore latest --repo ${info.readCap} --target /`,
  );
  if (info.writeCap !== undefined) {
    lines.push(
      '',
      'To go on backing up from the new machine:',
      `  tahoe add-alias backups ${info.writeCap}`,
      '  timefs push --repo backups: PATH...     # rebuilds the local catalog from the grid',
    );
  }
  lines.push('', 'The whole walkthrough: docs/recovery.md in the timefs sources.', rule);
  return lines;
}
