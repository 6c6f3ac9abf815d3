'use strict';
// Finds the `whatsapp-use` binary the launcher runs. Pure apart from what it is given
// (env, platform, filesystem, package resolution), so tests can inject all of it.
//
// Order:
//   1. WUSE_BIN, when set: an explicit override, used as is (an error if nothing is there).
//   2. The installed app: the .deb's /usr/bin/whatsapp-use on Linux, the .app bundle in
//      /Applications or ~/Applications on macOS, the per-user or per-machine install on
//      Windows. (An AppImage lives wherever it was saved: set WUSE_BIN to it.)
//   3. The platform package npm installed as an optional dependency
//      (@whatsapp-use/mcp-<os>-<arch>), with the binary in its bin/.

const path = require('node:path');

const SCOPE = '@whatsapp-use';

// <process.platform>-<process.arch> -> the package that carries that build.
const PLATFORM_PACKAGES = Object.freeze({
  'linux-x64': `${SCOPE}/mcp-linux-x64`,
  'linux-arm64': `${SCOPE}/mcp-linux-arm64`,
  'darwin-arm64': `${SCOPE}/mcp-darwin-arm64`,
  'darwin-x64': `${SCOPE}/mcp-darwin-x64`,
  'win32-x64': `${SCOPE}/mcp-win32-x64`,
});

class NotFoundError extends Error {
  constructor(message) {
    super(message);
    this.name = 'NotFoundError';
  }
}

function exeName(platform) {
  return platform === 'win32' ? 'whatsapp-use.exe' : 'whatsapp-use';
}

/** Where an installed WhatsApp-Use app keeps its binary, most likely first. */
function installedCandidates({ platform, env = {}, homedir = '' }) {
  if (platform === 'linux') return ['/usr/bin/whatsapp-use'];
  if (platform === 'darwin') {
    const inApp = path.posix.join('WhatsApp-Use.app', 'Contents', 'MacOS', 'whatsapp-use');
    const list = [path.posix.join('/Applications', inApp)];
    if (homedir) list.push(path.posix.join(homedir, 'Applications', inApp));
    return list;
  }
  if (platform === 'win32') {
    const list = [];
    // The installer puts a per-user install in %LOCALAPPDATA%, a per-machine one in %ProgramFiles%.
    for (const base of [env.LOCALAPPDATA, env.ProgramFiles || env.PROGRAMFILES]) {
      if (base) list.push(path.win32.join(base, 'WhatsApp-Use', 'whatsapp-use.exe'));
    }
    return list;
  }
  return [];
}

/**
 * The binary to run, as { path, source }; throws NotFoundError with a message for people
 * when there is none.
 *
 * opts.env             environment (process.env)
 * opts.platform        process.platform
 * opts.arch            process.arch
 * opts.homedir         the home directory (for ~/Applications)
 * opts.isFile(p)       whether a file is at p
 * opts.resolvePackage(name)  the path of `name/package.json`, or throws (require.resolve)
 */
function resolveBinary(opts) {
  const { env = {}, platform, arch, homedir = '', isFile, resolvePackage } = opts;
  const key = `${platform}-${arch}`;

  const override = env.WUSE_BIN;
  if (override) {
    if (isFile(override)) return { path: override, source: 'WUSE_BIN' };
    throw new NotFoundError(`WUSE_BIN is set to ${override}, but there is no file there.`);
  }

  const installed = installedCandidates({ platform, env, homedir });
  for (const candidate of installed) {
    if (isFile(candidate)) return { path: candidate, source: 'installed app' };
  }

  const pkg = PLATFORM_PACKAGES[key];
  let packageNote;
  if (pkg) {
    let manifest = null;
    try {
      manifest = resolvePackage(`${pkg}/package.json`);
    } catch (_) {
      packageNote = `the package ${pkg} is not installed (npm skips it when optional dependencies are omitted)`;
    }
    if (manifest) {
      const bin = path.join(path.dirname(manifest), 'bin', exeName(platform));
      if (isFile(bin)) return { path: bin, source: pkg };
      packageNote = `the package ${pkg} is installed but has no ${bin}`;
    }
  } else {
    packageNote = `there is no prebuilt WhatsApp-Use for ${key} on npm (there is for ${Object.keys(PLATFORM_PACKAGES).join(', ')})`;
  }

  const looked = [];
  if (installed.length) looked.push(`no installed app at ${installed.join(' or ')}`);
  looked.push(packageNote);
  throw new NotFoundError(
    `could not find the WhatsApp-Use binary for ${key}: ${looked.join('; ')}.\n` +
      'Install the WhatsApp-Use app, reinstall this package without omitting optional dependencies, ' +
      'or set WUSE_BIN to the path of a whatsapp-use binary.'
  );
}

module.exports = { resolveBinary, installedCandidates, exeName, PLATFORM_PACKAGES, NotFoundError };
