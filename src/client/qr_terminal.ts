/**
 * Renders a pairing QR string as text for a terminal, two QR rows per line using half-block
 * characters, with the quiet zone the QR spec asks for.
 *
 * @module
 */

import qrcode from "qrcode-generator";

/** Options for {@linkcode renderQr}. */
export interface RenderQrOptions {
  /** Quiet-zone width in modules (the spec asks for 4). Default 2, which phones read fine. */
  margin?: number;
  /** Draw dark modules as spaces on a light background (for dark terminals). Default true. */
  invert?: boolean;
}

/**
 * Renders `text` as a QR code made of `█`, `▀`, `▄` and spaces.
 *
 * @example
 * ```ts
 * import { renderQr } from "@wadeno/client";
 * const art = renderQr("2@abc,def,ghi,jkl"); // a pairingQrCode event's `code`
 * art.includes("▀"); // true; console.log(art) shows it in a terminal
 * ```
 */
export function renderQr(text: string, options: RenderQrOptions = {}): string {
  const margin = options.margin ?? 2;
  const invert = options.invert ?? true;
  const qr = qrcode(0, "L");
  qr.addData(text, "Byte");
  qr.make();
  const n = qr.getModuleCount();
  const size = n + margin * 2;
  const dark = (r: number, c: number): boolean => {
    const rr = r - margin, cc = c - margin;
    const on = rr >= 0 && cc >= 0 && rr < n && cc < n && qr.isDark(rr, cc);
    return invert ? !on : on;
  };
  const lines: string[] = [];
  for (let r = 0; r < size; r += 2) {
    let line = "";
    for (let c = 0; c < size; c++) {
      const top = dark(r, c);
      const bottom = r + 1 < size ? dark(r + 1, c) : invert;
      line += top ? (bottom ? "█" : "▀") : (bottom ? "▄" : " ");
    }
    lines.push(line);
  }
  return lines.join("\n");
}
