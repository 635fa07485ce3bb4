/**
 * Keeps the kernel from handing a grid's ports out as ephemeral source ports. The default ephemeral
 * range (32768–60999) covers the grid's ports, and on a busy machine an outgoing connection that
 * happens to take, say, 47026 makes the next node start fail with "Address already in use".
 * Reserving the block in `ip_local_reserved_ports` needs root; without it nothing changes.
 */
import { readFileSync, writeFileSync } from 'node:fs';

const RESERVED_PORTS = '/proc/sys/net/ipv4/ip_local_reserved_ports';

/** The ranges in an `ip_local_reserved_ports` value ("47000-47099,50000"), as [first, last] pairs. */
export function parseReservedPorts(value: string): [number, number][] {
  return value.trim().split(',').filter((part) => part.trim() !== '').map((part): [number, number] => {
    const [first, last] = part.trim().split('-').map(Number);
    return [first!, last ?? first!];
  });
}

/** Whether every port from `first` to `last` lies in one of `ranges`. */
export function coversPorts(ranges: [number, number][], first: number, last: number): boolean {
  return ranges.some(([from, to]) => from <= first && last <= to);
}

/**
 * Reserve `first`..`last` (added to the ranges already reserved). Returns whether the ports are
 * reserved afterwards; false when the kernel setting cannot be read or written (not root).
 */
export function reservePorts(first: number, last: number): boolean {
  try {
    const current = readFileSync(RESERVED_PORTS, 'utf8').trim();
    if (coversPorts(parseReservedPorts(current), first, last)) return true;
    writeFileSync(RESERVED_PORTS, [current, `${first}-${last}`].filter((part) => part !== '').join(','));
    return coversPorts(parseReservedPorts(readFileSync(RESERVED_PORTS, 'utf8')), first, last);
  } catch {
    return false;
  }
}
