#!/usr/bin/env node
'use strict';
// `npx -y @whatsapp-use/mcp [args]` runs `whatsapp-use mcp [args]`: the stdio MCP bridge
// to the running WhatsApp-Use app (started headless when none runs). stdio is the
// child's own; signals are passed on; the child's exit code or signal is ours.

const fs = require('node:fs');
const os = require('node:os');
const { spawn } = require('node:child_process');
const { resolveBinary, NotFoundError } = require('../lib/resolve.js');

const NAME = 'whatsapp-use-mcp';

function isFile(p) {
  try {
    return fs.statSync(p).isFile();
  } catch (_) {
    return false;
  }
}

// Not process.exit(): on macOS a pipe write is asynchronous, and exiting could cut it off.
function fail(message) {
  process.stderr.write(`${NAME}: ${message}\n`);
  process.exitCode = 1;
}

function findBinary() {
  try {
    return resolveBinary({
      env: process.env,
      platform: process.platform,
      arch: process.arch,
      homedir: os.homedir(),
      isFile,
      resolvePackage: (request) => require.resolve(request),
    });
  } catch (err) {
    if (err instanceof NotFoundError) return fail(err.message);
    throw err;
  }
}

function run(found) {
  const child = spawn(found.path, ['mcp', ...process.argv.slice(2)], { stdio: 'inherit', windowsHide: true });

  const signals = process.platform === 'win32' ? ['SIGINT', 'SIGTERM', 'SIGBREAK'] : ['SIGINT', 'SIGTERM', 'SIGHUP'];
  const forwarders = {};
  for (const sig of signals) {
    forwarders[sig] = () => {
      if (child.exitCode === null && child.signalCode === null) child.kill(sig);
    };
    process.on(sig, forwarders[sig]);
  }

  const stopForwarding = () => {
    for (const sig of signals) process.removeListener(sig, forwarders[sig]);
  };

  child.on('error', (err) => {
    stopForwarding();
    fail(`could not run ${found.path} (found via ${found.source}): ${err.message}`);
  });

  child.on('exit', (code, signal) => {
    stopForwarding();
    if (signal) {
      // End the same way, so whoever started us sees the signal.
      try {
        process.kill(process.pid, signal);
      } catch (_) {
        /* fall through */
      }
      process.exit(128 + (os.constants.signals[signal] || 1));
    }
    process.exit(code === null ? 1 : code);
  });
}

const found = findBinary();
if (found) run(found);
