import { TimefsError } from '../../model/errors.js';

/**
 * A child name as Tahoe will store it (NFC), refused when it cannot be addressed safely:
 * Tahoe accepts `/` inside names through some calls but then cannot address them by path,
 * and `.`/`..` would be collapsed by URL parsing.
 */
export function checkChildName(name: string): string {
  const nfc = name.normalize('NFC');
  if (nfc.length === 0 || nfc.includes('/') || nfc === '.' || nfc === '..' || nfc.includes('\0')) {
    throw new TimefsError('usage', `invalid child name ${JSON.stringify(name)}: names must be non-empty, not "." or "..", and contain no "/"`);
  }
  return nfc;
}
