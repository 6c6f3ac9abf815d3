// Unit tests of the npm launcher (@whatsapp-use/mcp): which binary it picks, its message
// when there is none, and the launcher process itself (arguments, exit codes, signals)
// around a stand-in binary. Run with `node --test tests/npm/`; test_npx.py runs them.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const require = createRequire(import.meta.url);
const { resolveBinary, installedCandidates, NotFoundError, PLATFORM_PACKAGES } = require(path.join(ROOT, 'npm/mcp/lib/resolve.js'));
const LAUNCHER = path.join(ROOT, 'npm/mcp/bin/whatsapp-use-mcp.js');
const PACK = path.join(ROOT, 'npm/pack.mjs');
const TMP = fs.mkdtempSync(path.join(os.tmpdir(), 'wuse-launcher-test-'));
after(() => fs.rmSync(TMP, { recursive: true, force: true }));

/** A filesystem of the given files, and a node_modules holding the given packages. */
function world({ files = [], packages = {} } = {}) {
  const set = new Set(files);
  return {
    isFile: (p) => set.has(p),
    resolvePackage: (request) => {
      const name = request.replace(/\/package\.json$/, '');
      if (packages[name]) return path.join(packages[name], 'package.json');
      const err = new Error(`Cannot find module '${request}'`);
      err.code = 'MODULE_NOT_FOUND';
      throw err;
    },
  };
}

const LINUX_PKG_DIR = '/home/u/.npm/_npx/abc/node_modules/@whatsapp-use/mcp-linux-x64';
const LINUX_PKG_BIN = path.join(LINUX_PKG_DIR, 'bin', 'whatsapp-use');

test('WUSE_BIN comes first, before an installed app and the platform package', () => {
  const w = world({ files: ['/opt/wu/whatsapp-use.AppImage', '/usr/bin/whatsapp-use', LINUX_PKG_BIN],
    packages: { '@whatsapp-use/mcp-linux-x64': LINUX_PKG_DIR } });
  const found = resolveBinary({ ...w, env: { WUSE_BIN: '/opt/wu/whatsapp-use.AppImage' }, platform: 'linux', arch: 'x64' });
  assert.deepEqual(found, { path: '/opt/wu/whatsapp-use.AppImage', source: 'WUSE_BIN' });
});

test('a WUSE_BIN with nothing there is an error, not a silent fallback', () => {
  const w = world({ files: ['/usr/bin/whatsapp-use'] });
  assert.throws(() => resolveBinary({ ...w, env: { WUSE_BIN: '/nope/whatsapp-use' }, platform: 'linux', arch: 'x64' }),
    (err) => err instanceof NotFoundError && /WUSE_BIN is set to \/nope\/whatsapp-use/.test(err.message));
});

test('the .deb install on Linux comes before the platform package', () => {
  const w = world({ files: ['/usr/bin/whatsapp-use', LINUX_PKG_BIN], packages: { '@whatsapp-use/mcp-linux-x64': LINUX_PKG_DIR } });
  assert.deepEqual(resolveBinary({ ...w, env: {}, platform: 'linux', arch: 'x64' }),
    { path: '/usr/bin/whatsapp-use', source: 'installed app' });
  // An empty WUSE_BIN counts as unset.
  assert.equal(resolveBinary({ ...w, env: { WUSE_BIN: '' }, platform: 'linux', arch: 'x64' }).path, '/usr/bin/whatsapp-use');
});

test('the platform package when no app is installed', () => {
  const w = world({ files: [LINUX_PKG_BIN], packages: { '@whatsapp-use/mcp-linux-x64': LINUX_PKG_DIR } });
  assert.deepEqual(resolveBinary({ ...w, env: {}, platform: 'linux', arch: 'x64' }),
    { path: LINUX_PKG_BIN, source: '@whatsapp-use/mcp-linux-x64' });
});

test('macOS: /Applications, then ~/Applications, then the package', () => {
  const sys = '/Applications/WhatsApp-Use.app/Contents/MacOS/whatsapp-use';
  const user = '/Users/ana/Applications/WhatsApp-Use.app/Contents/MacOS/whatsapp-use';
  assert.deepEqual(installedCandidates({ platform: 'darwin', homedir: '/Users/ana' }), [sys, user]);
  const pkgDir = '/x/node_modules/@whatsapp-use/mcp-darwin-arm64';
  const packages = { '@whatsapp-use/mcp-darwin-arm64': pkgDir };
  const opts = { env: {}, platform: 'darwin', arch: 'arm64', homedir: '/Users/ana' };
  assert.equal(resolveBinary({ ...opts, ...world({ files: [sys, user], packages }) }).path, sys);
  assert.equal(resolveBinary({ ...opts, ...world({ files: [user], packages }) }).path, user);
  const bin = path.join(pkgDir, 'bin', 'whatsapp-use');
  assert.equal(resolveBinary({ ...opts, ...world({ files: [bin], packages }) }).path, bin);
});

test('Windows: %LOCALAPPDATA%, then %ProgramFiles%, then the package (whatsapp-use.exe)', () => {
  const env = { LOCALAPPDATA: 'C:\\Users\\ana\\AppData\\Local', ProgramFiles: 'C:\\Program Files' };
  const local = 'C:\\Users\\ana\\AppData\\Local\\WhatsApp-Use\\whatsapp-use.exe';
  const machine = 'C:\\Program Files\\WhatsApp-Use\\whatsapp-use.exe';
  assert.deepEqual(installedCandidates({ platform: 'win32', env }), [local, machine]);
  const opts = { env, platform: 'win32', arch: 'x64' };
  assert.equal(resolveBinary({ ...opts, ...world({ files: [local, machine] }) }).path, local);
  assert.equal(resolveBinary({ ...opts, ...world({ files: [machine] }) }).path, machine);
  const pkgDir = '/x/node_modules/@whatsapp-use/mcp-win32-x64';
  const bin = path.join(pkgDir, 'bin', 'whatsapp-use.exe');
  const found = resolveBinary({ ...opts, ...world({ files: [bin], packages: { '@whatsapp-use/mcp-win32-x64': pkgDir } }) });
  assert.deepEqual(found, { path: bin, source: '@whatsapp-use/mcp-win32-x64' });
});

test('no binary anywhere: a message naming the platform and the package', () => {
  assert.throws(() => resolveBinary({ ...world(), env: {}, platform: 'linux', arch: 'arm64' }), (err) => {
    assert.ok(err instanceof NotFoundError);
    assert.match(err.message, /for linux-arm64/);
    assert.match(err.message, /@whatsapp-use\/mcp-linux-arm64 is not installed/);
    assert.match(err.message, /\/usr\/bin\/whatsapp-use/);
    assert.match(err.message, /WUSE_BIN/);
    return true;
  });
});

test('an installed platform package without its binary says so', () => {
  const w = world({ packages: { '@whatsapp-use/mcp-linux-x64': LINUX_PKG_DIR } });
  assert.throws(() => resolveBinary({ ...w, env: {}, platform: 'linux', arch: 'x64' }),
    (err) => err instanceof NotFoundError && err.message.includes(`has no ${LINUX_PKG_BIN}`));
});

test('a platform with no prebuilt package says which there are', () => {
  assert.throws(() => resolveBinary({ ...world(), env: {}, platform: 'freebsd', arch: 'x64' }), (err) => {
    assert.match(err.message, /no prebuilt WhatsApp-Use for freebsd-x64/);
    assert.match(err.message, /linux-x64/);
    return true;
  });
});

test('every platform package has a template, and the launcher lists them all', () => {
  const main = JSON.parse(fs.readFileSync(path.join(ROOT, 'npm/mcp/package.json'), 'utf8'));
  assert.deepEqual(Object.keys(main.optionalDependencies).sort(), Object.values(PLATFORM_PACKAGES).sort());
  for (const [key, name] of Object.entries(PLATFORM_PACKAGES)) {
    const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, 'npm/platforms', key, 'package.json'), 'utf8'));
    const [osName, cpu] = key.split('-');
    assert.equal(manifest.name, name);
    assert.deepEqual([manifest.os, manifest.cpu], [[osName], [cpu]]);
    assert.equal(manifest.bin, undefined, 'the binary is found by the launcher, not linked');
    assert.equal(manifest.private, true, 'templates are never published as they are');
  }
  assert.equal(main.private, true);
});

// The launcher process, around a stand-in binary (a shell script).
const posix = process.platform !== 'win32';

function fakeBinary(body) {
  const dir = fs.mkdtempSync(path.join(TMP, 'bin-'));
  const file = path.join(dir, 'whatsapp-use');
  fs.writeFileSync(file, `#!/bin/sh\n${body}\n`, { mode: 0o755 });
  return file;
}

function launcherEnv(extra) {
  return { ...process.env, ...extra };
}

test('the launcher runs `<binary> mcp <args>` with stdio inherited and passes the exit code on', { skip: !posix }, () => {
  const bin = fakeBinary('echo "args: $*"; read line; echo "stdin: $line"; echo "to stderr" >&2; exit 7');
  const r = spawnSync(process.execPath, [LAUNCHER, '--port', '0'], { env: launcherEnv({ WUSE_BIN: bin }), input: 'hello\n', encoding: 'utf8' });
  assert.equal(r.stdout, 'args: mcp --port 0\nstdin: hello\n');
  assert.equal(r.stderr, 'to stderr\n');
  assert.equal(r.status, 7);
});

test('the launcher passes SIGTERM on to the binary', { skip: !posix }, async () => {
  const bin = fakeBinary('trap \'echo "got TERM"; exit 42\' TERM; echo ready; while :; do sleep 0.05; done');
  const child = spawn(process.execPath, [LAUNCHER], { env: launcherEnv({ WUSE_BIN: bin }), stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  await new Promise((resolve) => child.stdout.on('data', (d) => { out += d; if (out.includes('ready')) resolve(); }));
  child.kill('SIGTERM'); // the launcher alone, not its group
  const [code] = await new Promise((resolve) => child.on('exit', (...a) => resolve(a)));
  assert.match(out, /got TERM/);
  assert.equal(code, 42);
});

test('a binary killed by a signal ends the launcher by the same signal', { skip: !posix }, () => {
  const bin = fakeBinary('kill -KILL $$');
  const r = spawnSync(process.execPath, [LAUNCHER], { env: launcherEnv({ WUSE_BIN: bin }), encoding: 'utf8' });
  assert.equal(r.signal, 'SIGKILL');
});

test('the launcher says clearly, without a stack trace, when WUSE_BIN points nowhere', () => {
  const r = spawnSync(process.execPath, [LAUNCHER], { env: launcherEnv({ WUSE_BIN: path.join(TMP, 'no-such-whatsapp-use') }), encoding: 'utf8' });
  assert.equal(r.status, 1);
  assert.match(r.stderr, /^whatsapp-use-mcp: WUSE_BIN is set to .*no-such-whatsapp-use, but there is no file there\.\n$/);
});

test('the launcher explains a missing platform package, naming the platform', { skip: !posix || fs.existsSync('/usr/bin/whatsapp-use') || process.platform === 'darwin' }, () => {
  // From the source tree no platform package is installed.
  const env = launcherEnv({});
  delete env.WUSE_BIN;
  const r = spawnSync(process.execPath, [LAUNCHER], { env, encoding: 'utf8' });
  const key = `${process.platform}-${process.arch}`;
  assert.equal(r.status, 1);
  assert.match(r.stderr, new RegExp(`^whatsapp-use-mcp: could not find the WhatsApp-Use binary for ${key}`));
  assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
});

test('pack.mjs stages a platform package and the launcher at one version', () => {
  const out = fs.mkdtempSync(path.join(TMP, 'pack-'));
  // The start of an x86-64 ELF executable is all pack.mjs looks at.
  const elf = Buffer.alloc(64);
  elf.writeUInt32BE(0x7f454c46, 0);
  elf.writeUInt16LE(0x3e, 18);
  const binary = path.join(out, 'whatsapp-use');
  fs.writeFileSync(binary, elf);
  const r = spawnSync(process.execPath, [PACK, '--binary', binary, '--platform', 'linux-x64', '--version', '1.2.3-rc.1', '--out', path.join(out, 'stage')], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(r.stdout.trim().split('\n'), [path.join(out, 'stage', 'mcp-linux-x64'), path.join(out, 'stage', 'mcp')]);
  const platform = JSON.parse(fs.readFileSync(path.join(out, 'stage/mcp-linux-x64/package.json'), 'utf8'));
  assert.equal(platform.version, '1.2.3-rc.1');
  assert.equal(platform.private, undefined);
  const staged = path.join(out, 'stage/mcp-linux-x64/bin/whatsapp-use');
  assert.ok(fs.statSync(staged).mode & 0o111, 'executable');
  const main = JSON.parse(fs.readFileSync(path.join(out, 'stage/mcp/package.json'), 'utf8'));
  assert.equal(main.version, '1.2.3-rc.1');
  assert.equal(main.private, undefined);
  assert.ok(Object.values(main.optionalDependencies).every((v) => v === '1.2.3-rc.1'));
  assert.ok(fs.existsSync(path.join(out, 'stage/mcp/lib/resolve.js')));
  // The wrong kind of binary for the platform is refused.
  const wrong = spawnSync(process.execPath, [PACK, '--binary', binary, '--platform', 'linux-arm64', '--out', path.join(out, 'x')], { encoding: 'utf8' });
  assert.equal(wrong.status, 2);
  assert.match(wrong.stderr, /not a linux-arm64 binary/);
});

test('pack.mjs takes the version from [workspace.package] in Cargo.toml', async () => {
  const { cargoVersion } = await import(PACK);
  assert.equal(cargoVersion('[workspace]\nmembers = ["."]\n\n[workspace.package]\nversion = "0.4.2" # x\n\n[package]\nversion = "9.9.9"\n'), '0.4.2');
  assert.equal(cargoVersion('[package]\nname = "a"\nversion = "1.0.0"\n'), '1.0.0');
  const cargo = fs.readFileSync(path.join(ROOT, 'Cargo.toml'), 'utf8');
  assert.match(cargoVersion(cargo), /^\d+\.\d+\.\d+/);
});
