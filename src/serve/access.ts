/**
 * Who may use `timefs serve`: anyone who can reach a loopback address, or, when an access file is
 * given (required off loopback), only clients presenting its secret by HTTP Basic authentication.
 * The file holds `user:password`, or a bare token used as the password with any user name; it must
 * be readable by its owner only, like an SSH key.
 */
import { timingSafeEqual, createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { isIP } from 'node:net';
import { TimefsError } from '../model/errors.js';

/** The credentials clients must present. */
export interface AccessSecret {
  /** Undefined when any user name is accepted (a bare token). */
  user?: string;
  password: string;
}

/** True for an address only this machine can reach. */
export function isLoopback(host: string): boolean {
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  return host === '::1';
}

/** Reads and checks the access file: owned by this user, no group or other permission bits, not empty. */
export async function readAccessFile(path: string): Promise<AccessSecret> {
  let info;
  try {
    info = await stat(path);
  } catch (err) {
    throw new TimefsError('config', `cannot read the access file ${path}: ${(err as Error).message}`, { cause: err });
  }
  if ((info.mode & 0o077) !== 0) {
    throw new TimefsError('config', `the access file ${path} is readable by others (mode ${(info.mode & 0o777).toString(8)})`, { hint: `run: chmod 600 ${path}` });
  }
  if (process.getuid && info.uid !== process.getuid()) throw new TimefsError('config', `the access file ${path} belongs to another user`, { hint: 'use a file you own, with mode 600' });
  const line = (await readFile(path, 'utf8')).split('\n')[0]?.trim() ?? '';
  if (line.length < 8) throw new TimefsError('config', `the access file ${path} must hold user:password or a token of at least 8 characters`);
  const colon = line.indexOf(':');
  return colon > 0 ? { user: line.slice(0, colon), password: line.slice(colon + 1) } : { password: line };
}

function sameSecret(a: string, b: string): boolean {
  const ha = createHash('sha256').update(a).digest();
  const hb = createHash('sha256').update(b).digest();
  return timingSafeEqual(ha, hb);
}

/** True when the `Authorization` header carries the secret (Basic, or Bearer with a token). */
export function authorized(header: string | undefined, secret: AccessSecret): boolean {
  if (!header) return false;
  const [scheme, value = ''] = header.split(' ', 2);
  if (scheme?.toLowerCase() === 'bearer') return secret.user === undefined && sameSecret(value.trim(), secret.password);
  if (scheme?.toLowerCase() !== 'basic') return false;
  const decoded = Buffer.from(value.trim(), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return false;
  const userOk = secret.user === undefined || sameSecret(decoded.slice(0, colon), secret.user);
  return sameSecret(decoded.slice(colon + 1), secret.password) && userOk;
}
