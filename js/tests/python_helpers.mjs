// Helpers for the tests against the Python package: the venv's python (with
// only the ipckit wheel installed; js/run_tests.sh makes it and passes
// IPCKIT_PYTHON) and the Python backend process (py_backend.py).
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const TESTS_DIR = path.dirname(fileURLToPath(import.meta.url));
export const PY_BACKEND = path.join(TESTS_DIR, 'py_backend.py');

// The python that imports the wheel's ipckit; throws a clear error if unset.
export function pythonForTests() {
  const python = process.env.IPCKIT_PYTHON;
  if (!python || !existsSync(python)) {
    throw new Error(`IPCKIT_PYTHON (${python}) must name a python with the ipckit wheel installed: run js/run_tests.sh`);
  }
  return python;
}

// Runs a child, collecting stdout lines; `waitLine(re, ms)` resolves with the
// first line matching `re` (checking lines already seen), rejecting on exit or
// after `ms`.
export function spawnWithLines(command, args, options = {}) {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], ...options });
  const lines = [];
  let partial = '';
  let stderr = '';
  const listeners = new Set();
  child.stdout.setEncoding('utf8');
  child.stderr.setEncoding('utf8');
  child.stdout.on('data', (s) => {
    partial += s;
    let nl;
    while ((nl = partial.indexOf('\n')) >= 0) {
      lines.push(partial.slice(0, nl));
      partial = partial.slice(nl + 1);
      for (const l of [...listeners]) l();
    }
  });
  child.stderr.on('data', (s) => {
    if (stderr.length < 20000) stderr += s;
    // Some servers print their address on stderr; let waitLine see it too.
    for (const line of s.split('\n')) if (line) lines.push(line);
    for (const l of [...listeners]) l();
  });
  // 'close', not 'exit': 'exit' may come before the last lines are read, and
  // waitLine would then reject a line the child did print.
  const exited = new Promise((resolve) => {
    child.on('close', (code, signal) => resolve(code ?? signal));
    child.on('error', (err) => {
      stderr += String(err);
      resolve(-1);
    });
  });
  let exitCode;
  exited.then((c) => {
    exitCode = c;
    for (const l of [...listeners]) l();
  });
  return {
    child,
    lines,
    exited,
    get stderr() { return stderr; },
    waitLine(re, ms) {
      return new Promise((resolve, reject) => {
        let timer;
        const check = () => {
          const line = lines.find((x) => re.test(x));
          if (line !== undefined) {
            listeners.delete(check);
            clearTimeout(timer);
            resolve(line);
          } else if (exitCode !== undefined) {
            listeners.delete(check);
            clearTimeout(timer);
            reject(new Error(`${command} ${args.join(' ')} exited ${exitCode} before printing ${re}: ${stderr}`));
          }
        };
        timer = setTimeout(() => {
          listeners.delete(check);
          reject(new Error(`${command} ${args.join(' ')} printed no ${re} within ${ms} ms: ${stderr}`));
        }, ms);
        listeners.add(check);
        check();
      });
    },
    kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
}

// The bridge (spec/bridge.md: one server, in the C++ core) on `dir`, run as
// `python -m ipckit serve` from the wheel. Resolves with {url (as printed,
// token included), origin, token, port, close()}.
export async function startBridge(dir, { allowOrigins = [], args = [] } = {}) {
  const argv = ['-u', '-m', 'ipckit', 'serve', dir, '--port', '0',
    ...allowOrigins.flatMap((o) => ['--allow-origin', o]), ...args];
  const proc = spawnWithLines(pythonForTests(), argv);
  try {
    const line = await proc.waitLine(/http:\/\/127\.0\.0\.1:\d+/, 20000);
    const url = /http:\/\/127\.0\.0\.1:\d+\S*/.exec(line)[0];
    const parsed = new URL(url);
    return {
      url,
      origin: parsed.origin,
      token: parsed.searchParams.get('token'),
      port: Number(parsed.port),
      close: async () => {
        if (proc.child.exitCode === null && proc.child.signalCode === null) proc.child.kill('SIGTERM');
        await proc.exited;
      },
    };
  } catch (err) {
    proc.kill();
    throw err;
  }
}

// Starts py_backend.py on `dir`; resolves once it prints "ready".
export async function startPyBackend(dir) {
  const proc = spawnWithLines(pythonForTests(), ['-u', PY_BACKEND, dir], {
    env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' },
  });
  try {
    await proc.waitLine(/^ready$/, 20000);
  } catch (err) {
    proc.kill();
    throw err;
  }
  return proc;
}

export function median(values) {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}
