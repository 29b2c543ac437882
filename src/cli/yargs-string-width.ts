// What the bundle gives yargs (and its cliui and wrap-ansi) for the
// `string-width` package (scripts/build.mjs, plainStringWidth).
//
// yargs measures text only to lay out its own help, which we never print:
// help.ts renders ours, and parse.ts turns yargs' failures into clap's
// messages. string-width builds an Intl.Segmenter and a \p{RGI_Emoji} regular
// expression as it loads, about 30 ms of every command's start-up (issue 14).
// Counting printable code points is exact for the ASCII help yargs lays out.

const ANSI = /\u001B\[[0-9;]*[A-Za-z]/g;

export default function stringWidth(text: string): number {
  if (typeof text !== 'string') return 0;
  let width = 0;
  for (const ch of text.replace(ANSI, '')) {
    const code = ch.codePointAt(0) ?? 0;
    if (code >= 0x20 && (code < 0x7f || code >= 0xa0)) width++;
  }
  return width;
}
