// Extracts the prose of the Jargon File 4.4.7 (public domain, see models/README.md) into the
// training and validation text of the char-level models:
//
//   models/data/jargon-train.txt   the first 90 % of the paragraphs (capped at TRAIN_BYTES)
//   models/data/jargon-valid.txt   the last 10 % (capped at VALID_BYTES)
//
//   cd /tmp && apt-get download jargon-text && dpkg -x jargon-text_*.deb jt
//   node models/prepare_text.js [/tmp/jt/usr/share/doc/jargon-text/jargon.txt.gz]
//
// A paragraph is a run of non-empty lines. Kept: prose paragraphs (the body is indented by three
// spaces), one per output line, whitespace collapsed, typographic characters mapped to ASCII.
// Dropped: box-drawing tables, code and quoted listings (indented deeper), and paragraphs of fewer
// than MIN_CHARS characters (the table of contents, headings), except that an entry's headword
// line (":dumb terminal: n.") is joined to the definition after it. Deterministic: the same input
// gives the same bytes.

import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';

const source = process.argv[2] ?? '/tmp/jt/usr/share/doc/jargon-text/jargon.txt.gz';
const MIN_CHARS = 40;
const TRAIN_BYTES = 900_000;
const VALID_BYTES = 100_000;

const ASCII = new Map([
  ['\u201c', '"'], ['\u201d', '"'], ['\u2018', "'"], ['\u2019', "'"], ['\u00b4', "'"],
  ['\u2014', '--'], ['\u2212', '-'], ['\u00a0', ' '], ['\u00b7', ''], ['\u2022', '*'],
  ['\u2192', '->'], ['\u2190', '<-'], ['\u21d4', '<=>'], ['\u00d7', 'x'], ['\u00a9', '(c)'],
  ['\u00ae', '(R)'], ['\u2122', '(TM)'], ['\u00b1', '+/-'], ['\u00df', 'ss'], ['\u00e6', 'ae'],
  ['\u00d8', 'O'], ['\u3008', '<'], ['\u3009', '>'], ['\u223c', '~'],
]);

function toAscii(text) {
  let out = '';
  for (const ch of text) {
    if (ASCII.has(ch)) { out += ASCII.get(ch); continue; }
    // Accented Latin letters lose their accents (é → e); anything else left is dropped.
    const plain = ch.normalize('NFKD').replace(/[\u0300-\u036f]/g, '');
    if (/^[\x20-\x7e]+$/.test(plain)) out += plain;
  }
  return out;
}

const raw = (source.endsWith('.gz') ? gunzipSync(readFileSync(source)) : readFileSync(source)).toString('utf8');
const paragraphs = [];
let lines = [];
let heading = '';
const flush = () => {
  if (lines.length === 0) return;
  const block = lines;
  lines = [];
  if (block.some((l) => /[\u2500-\u257f]/.test(l))) return;                 // tables and rules
  if (block.some((l) => /^ {4,}\S/.test(l) || /^\t/.test(l))) return;       // code, listings
  const text = toAscii(block.join(' ')).replace(/\s+/g, ' ').trim();
  // An entry's headword line (":dumb terminal: n.") starts the paragraph of its definition.
  if (/^:[^:]+:/.test(text) && text.length < MIN_CHARS) { heading = text; return; }
  if (text.length >= MIN_CHARS) paragraphs.push(heading ? `${heading} ${text}` : text);
  heading = '';
};
for (const line of raw.split('\n')) {
  if (line.trim() === '') flush();
  else lines.push(line);
}
flush();

// The last tenth of the paragraphs (entries late in the alphabet, and the appendices) is held out.
const cut = Math.floor(paragraphs.length * 0.9);
const take = (list, limit) => {
  let text = '';
  for (const p of list) {
    if (text.length + p.length + 1 > limit) break;
    text += `${p}\n`;
  }
  return text;
};
const train = take(paragraphs.slice(0, cut), TRAIN_BYTES);
const valid = take(paragraphs.slice(cut), VALID_BYTES);

mkdirSync(new URL('./data/', import.meta.url), { recursive: true });
writeFileSync(new URL('./data/jargon-train.txt', import.meta.url), train);
writeFileSync(new URL('./data/jargon-valid.txt', import.meta.url), valid);
console.log(`${paragraphs.length} paragraphs; train ${train.length} chars, valid ${valid.length} chars`);
