#!/usr/bin/env node
// The `recur` command. The CLI's source is src/cli/; npm run build bundles it into dist/cli.js.
import { existsSync, readFileSync } from 'node:fs';

const cli = new URL('../dist/cli.js', import.meta.url);
if (!existsSync(cli)) {
  process.stderr.write('recur: dist/cli.js is missing; run npm run build in the recur package\n');
  process.exit(1);
}
globalThis.__RECUR_VERSION__ = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version;
const { main } = await import(cli.href);
process.exitCode = await main(process.argv.slice(2));
