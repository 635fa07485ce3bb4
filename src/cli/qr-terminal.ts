/**
 * A QR code drawn with text: two module rows per line using half-block characters, so a phone
 * can scan it off the screen or off a printout. The encoding itself comes from the `qrcode`
 * package; only the drawing is ours.
 */
import QRCode from 'qrcode';

/** Light modules around the code, as the QR specification asks (4). */
const QUIET_ZONE = 4;

/**
 * `text` as a QR code (error correction M), one string per terminal line.
 * Dark modules are drawn as ink (`█`, `▀`, `▄`), light ones as spaces. With `colour`, each line
 * is set black on white with ANSI codes, so the code reads the same on a dark terminal.
 */
export function qrLines(text: string, options: { colour?: boolean } = {}): string[] {
  const { modules } = QRCode.create(text, { errorCorrectionLevel: 'M' });
  const size = modules.size;
  const dark = (row: number, col: number) => {
    const r = row - QUIET_ZONE;
    const c = col - QUIET_ZONE;
    return r >= 0 && c >= 0 && r < size && c < size && modules.get(r, c) === 1;
  };
  const width = size + 2 * QUIET_ZONE;
  const lines: string[] = [];
  for (let row = 0; row < width; row += 2) {
    let line = '';
    for (let col = 0; col < width; col++) {
      const top = dark(row, col);
      const bottom = dark(row + 1, col);
      line += top && bottom ? '█' : top ? '▀' : bottom ? '▄' : ' ';
    }
    lines.push(options.colour ? `\x1b[30;47m${line}\x1b[0m` : line);
  }
  return lines;
}
