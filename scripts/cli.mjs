#!/usr/bin/env node
// The CLI's launcher (`npm run cli`, `npm run demo`, bin/migrate-mailbox.js): runs src/ as plain JavaScript.
//
// tsx transpiles every module at every start (~0.4 s and ~30 MB per process). Instead, this file stamps src/
// (every file's path, size, mtime and ctime, plus tsconfig.json and esbuild's version) and, when `.build/<stamp>/`
// is missing, transpiles each src/**/*.ts with esbuild into that directory (no bundling: same layout, ESM, Node 20,
// linked source maps so stack traces name the .ts lines) and copies the other files under src/ (the simulator's
// JSON schemas, read through import.meta.url). Any edit under src/ changes the stamp, so a stale build never
// runs; an unchanged src/ costs one stat per file. Then it imports the built cli/main.js; process.argv is left
// as it is (main reads process.argv.slice(2)).
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { setFlagsFromString } from 'node:v8';

// V8 grows the old generation by a large factor after each full collection, so a copy that promotes many
// short-lived objects (bodies waiting for the destination's answer) carried ~30 MB of garbage: peak RSS at
// 20,000 messages went from 151-158 MB to 122-125 MB with this, at no measurable cost in time. Set here rather
// than on node's command line so the package bin gets it too.
setFlagsFromString('--heap-growing-percent=20');

/** Bump when the build options below change, so builds made with the old ones are not reused. */
const BUILD_FORMAT = 1;
/** Builds other than the current one that nobody has started from for this long are deleted. */
const KEEP_UNUSED_MS = 60 * 60 * 1000;
/** Longer than the file system's timestamp granularity. */
const RACY_MS = 50;

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const src = join(root, 'src');
const builds = join(root, '.build');

/** Every file under dir, as paths relative to it with '/' separators, in a stable order. */
function listFiles(dir, prefix = '', out = []) {
  const entries = readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const entry of entries) {
    if (entry.isDirectory()) listFiles(join(dir, entry.name), `${prefix}${entry.name}/`, out);
    else out.push(`${prefix}${entry.name}`);
  }
  return out;
}

/** The stamp of src/, and when its newest change was (ms since the epoch). */
function stampOf(files) {
  const esbuildPackage = createRequire(import.meta.url).resolve('esbuild/package.json');
  let newest = 0;
  let text = `format ${BUILD_FORMAT}\0esbuild ${JSON.parse(readFileSync(esbuildPackage, 'utf8')).version}\n`;
  const stamped = files.map((file) => [`src/${file}`, join(src, file)]);
  const tsconfig = join(root, 'tsconfig.json');
  if (existsSync(tsconfig)) stamped.push(['tsconfig.json', tsconfig]);
  for (const [name, path] of stamped) {
    const stat = statSync(path);
    text += `${name}\0${stat.size}\0${stat.mtimeMs}\0${stat.ctimeMs}\n`;
    newest = Math.max(newest, stat.ctimeMs);
  }
  return { stamp: createHash('sha256').update(text).digest('hex').slice(0, 16), newest };
}

async function build(files, target) {
  const tmp = `${target}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  const esbuild = await import('esbuild');
  try {
    await esbuild.build({
      absWorkingDir: root,
      entryPoints: files.filter((file) => file.endsWith('.ts') && !file.endsWith('.d.ts')).map((file) => join(src, file)),
      outbase: src,
      outdir: tmp,
      bundle: false,
      format: 'esm',
      platform: 'node',
      target: 'node20',
      sourcemap: 'linked',
      sourcesContent: false,
      logLevel: 'error',
    });
    for (const file of files.filter((name) => !name.endsWith('.ts'))) {
      mkdirSync(dirname(join(tmp, file)), { recursive: true });
      copyFileSync(join(src, file), join(tmp, file));
    }
    writeFileSync(join(tmp, 'package.json'), '{"type":"module"}\n');
  } catch (error) {
    rmSync(tmp, { recursive: true, force: true });
    throw error;
  } finally {
    await esbuild.stop();
  }
  try {
    renameSync(tmp, target);
  } catch (error) {
    // Another process built the same stamp first: use its build.
    rmSync(tmp, { recursive: true, force: true });
    if (!existsSync(join(target, 'cli', 'main.js'))) throw error;
  }
  for (const name of readdirSync(builds)) {
    const path = join(builds, name);
    if (path === target) continue;
    try {
      if (Date.now() - statSync(path).mtimeMs > KEEP_UNUSED_MS) rmSync(path, { recursive: true, force: true });
    } catch {
      // Removed by another process meanwhile.
    }
  }
}

let files = listFiles(src);
let { stamp, newest } = stampOf(files);
// File times tick coarsely (a few ms): a file changed just now could change again, same size, within the same tick,
// and that edit would not change the stamp. So, as git does with "racy" files, wait until such an edit would show.
for (let tries = 0; tries < 5 && Math.abs(Date.now() - newest) < RACY_MS; tries++) {
  await new Promise((resolve) => setTimeout(resolve, RACY_MS));
  files = listFiles(src);
  ({ stamp, newest } = stampOf(files));
}
const target = join(builds, stamp);
if (existsSync(target)) {
  try {
    const now = new Date();
    utimesSync(target, now, now); // marks it in use, so the next build does not delete it as unused
  } catch {
    // A read-only checkout: the build is still usable.
  }
} else {
  try {
    await build(files, target);
  } catch (error) {
    // esbuild has already printed what it could not transpile, with file and line.
    if (!(error instanceof Error && 'errors' in error)) throw error;
    process.stderr.write(`migrate-mailbox: could not transpile src/ into ${target}\n`);
    process.exit(1);
  }
}
process.setSourceMapsEnabled(true);
await import(pathToFileURL(join(target, 'cli', 'main.js')).href);
