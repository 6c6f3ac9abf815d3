#!/usr/bin/env node
// Stages the npm packages of WhatsApp-Use, ready for `npm publish <dir>`:
//   <out>/mcp-<platform>/  @whatsapp-use/mcp-<platform>, carrying the given binary in bin/
//   <out>/mcp/             @whatsapp-use/mcp, the launcher, its optionalDependencies
//                          pinned to the same version
//
// Usage:
//   node npm/pack.mjs --binary PATH --platform linux-x64 [--version X] --out DIR
//   node npm/pack.mjs --platform linux-x64 --binary A --platform win32-x64 --binary B.exe --out DIR
//   node npm/pack.mjs --out DIR                      (the launcher package alone)
// The version defaults to [workspace.package] version in the workspace Cargo.toml.
// Publish the platform packages before the launcher, so no one installs a launcher whose
// binary is not there yet. Prints the staged directories, one a line, in that order.

import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.dirname(HERE);

const ARCH = {
  // ELF e_machine values.
  elf: { x64: 0x3e, arm64: 0xb7 },
  // Mach-O cputype values.
  macho: { x64: 0x01000007, arm64: 0x0100000c },
};

function die(message) {
  process.stderr.write(`pack.mjs: ${message}\n`);
  process.exit(2);
}

function parseArgs(argv) {
  const opts = { platforms: [], binaries: [], version: null, out: null };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined || v.startsWith('--')) die(`${flag} needs a value`);
      return v;
    };
    if (flag === '--binary') opts.binaries.push(value());
    else if (flag === '--platform') opts.platforms.push(value());
    else if (flag === '--version') opts.version = value();
    else if (flag === '--out') opts.out = value();
    else if (flag === '-h' || flag === '--help') {
      process.stdout.write(fs.readFileSync(fileURLToPath(import.meta.url), 'utf8').split('\n').slice(1, 14).map((l) => l.replace(/^\/\/ ?/, '')).join('\n') + '\n');
      process.exit(0);
    } else die(`unknown argument ${flag} (see --help)`);
  }
  if (!opts.out) die('--out DIR is required');
  if (opts.platforms.length !== opts.binaries.length) die('give one --binary for each --platform');
  return opts;
}

/** [workspace.package] version (or [package] version) of the workspace Cargo.toml. */
export function cargoVersion(cargoToml) {
  let section = '';
  const found = {};
  for (const raw of cargoToml.split('\n')) {
    const line = raw.replace(/#.*$/, '').trim();
    const header = line.match(/^\[([^\]]+)\]$/);
    if (header) section = header[1].trim();
    const m = line.match(/^version\s*=\s*"([^"]+)"/);
    if (m && !(section in found)) found[section] = m[1];
  }
  return found['workspace.package'] || found.package || null;
}

function checkBinary(file, platform) {
  const [os, arch] = platform.split('-');
  const fd = fs.openSync(file, 'r');
  const head = Buffer.alloc(64);
  fs.readSync(fd, head, 0, 64, 0);
  fs.closeSync(fd);
  const wrong = (what) => die(`${file} is not a ${platform} binary (${what})`);
  if (os === 'linux') {
    if (head.readUInt32BE(0) !== 0x7f454c46) wrong('not ELF');
    if (head.readUInt16LE(18) !== ARCH.elf[arch]) wrong(`ELF machine 0x${head.readUInt16LE(18).toString(16)}`);
  } else if (os === 'darwin') {
    const magic = head.readUInt32BE(0);
    if (magic === 0xcafebabe) return; // universal: carries both
    if (magic !== 0xcffaedfe) wrong('not 64-bit Mach-O');
    if (head.readUInt32LE(4) !== ARCH.macho[arch]) wrong(`Mach-O cputype 0x${head.readUInt32LE(4).toString(16)}`);
  } else if (os === 'win32') {
    if (head.toString('latin1', 0, 2) !== 'MZ') wrong('not a PE executable');
  }
}

function readJson(file) {
  return JSON.parse(fs.readFileSync(file, 'utf8'));
}

function writeJson(file, value) {
  fs.writeFileSync(file, JSON.stringify(value, null, 2) + '\n');
}

// The templates are private (version 0.0.0), so that they are never published as they are.
function staged(manifest, version) {
  delete manifest.private;
  manifest.version = version;
  return manifest;
}

function fresh(dir) {
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

function stagePlatform({ platform, binary, version, out }) {
  const template = path.join(HERE, 'platforms', platform);
  if (!fs.existsSync(path.join(template, 'package.json'))) {
    const known = fs.readdirSync(path.join(HERE, 'platforms')).join(', ');
    die(`no template for platform ${platform} in npm/platforms (there are: ${known})`);
  }
  if (!fs.statSync(binary, { throwIfNoEntry: false })?.isFile()) die(`no binary at ${binary}`);
  checkBinary(binary, platform);
  const dir = fresh(path.join(out, `mcp-${platform}`));
  const manifest = staged(readJson(path.join(template, 'package.json')), version);
  writeJson(path.join(dir, 'package.json'), manifest);
  fs.copyFileSync(path.join(template, 'README.md'), path.join(dir, 'README.md'));
  const exe = platform.startsWith('win32-') ? 'whatsapp-use.exe' : 'whatsapp-use';
  fs.mkdirSync(path.join(dir, 'bin'));
  fs.copyFileSync(binary, path.join(dir, 'bin', exe));
  fs.chmodSync(path.join(dir, 'bin', exe), 0o755);
  return dir;
}

function stageMain({ version, out }) {
  const src = path.join(HERE, 'mcp');
  const dir = fresh(path.join(out, 'mcp'));
  const manifest = staged(readJson(path.join(src, 'package.json')), version);
  for (const name of Object.keys(manifest.optionalDependencies || {})) manifest.optionalDependencies[name] = version;
  writeJson(path.join(dir, 'package.json'), manifest);
  for (const entry of ['bin', 'lib', 'README.md']) {
    fs.cpSync(path.join(src, entry), path.join(dir, entry), { recursive: true });
  }
  fs.chmodSync(path.join(dir, 'bin', 'whatsapp-use-mcp.js'), 0o755);
  return dir;
}

function main() {
  const opts = parseArgs(process.argv.slice(2));
  const version = opts.version || cargoVersion(fs.readFileSync(path.join(ROOT, 'Cargo.toml'), 'utf8'));
  if (!version) die('no version: give --version, or set [workspace.package] version in Cargo.toml');
  if (!/^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$/.test(version)) die(`${version} is not a semver version`);
  const out = path.resolve(opts.out);
  fs.mkdirSync(out, { recursive: true });
  const dirs = opts.platforms.map((platform, i) =>
    stagePlatform({ platform, binary: path.resolve(opts.binaries[i]), version, out })
  );
  dirs.push(stageMain({ version, out }));
  process.stdout.write(dirs.join('\n') + '\n');
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
