// The FileChannel writers' lock from Node: an exclusive flock(2) on
// <dir>/.lock, the same lock the C++ core takes (spec/file_channel.md, write
// protocol step 2). Writers also take ipckit 0.1's per-file lock inside it
// (step 3, ipckit01_lock.js; appendToChannelFile in file_channel.js does both).
//
//   const lock = new ChannelLockHelper('/path/to/channel');
//   await lock.withLock(5000, async () => { /* read, append, temp file, rename */ });
//   lock.close();
//
// Node has no flock(). Each helper is one long-lived child process that holds
// the lock file open and locks/unlocks it on command, so the lock is the
// kernel's own: it is released if the helper exits or is killed, and the
// helper exits when this process dies (EOF on its stdin), so no lock is ever
// left behind. Two helpers, the first available is used:
//  - perl (Debian's perl-base, which is Essential; also on macOS): flock()
//    in-process, about 0.1 ms per lock/unlock;
//  - /bin/sh + util-linux flock(1) on an inherited descriptor: one flock(1)
//    process per lock, about 1 ms.
// IPCKIT_LOCK_HELPER=perl|flock forces one (the tests run both).
import { spawn } from 'node:child_process';
import { accessSync, constants as fsConstants, statSync } from 'node:fs';
import path from 'node:path';
import { ClosedError, IpckitError, TimeoutError, makeError } from '../errors.js';
import { LOCK_FILE } from '../file_channel_format.js';

// Both speak one protocol, a line per command and per answer:
//   "L"       lock, waiting in the kernel as long as it takes -> "locked"
//   "L <ms>"  lock, waiting at most <ms> ms                     -> "locked" | "busy"
//   "U"       unlock                                            -> "open"
//   "R"       reopen the lock file (it was replaced)            -> "open"
//   "S"       probe: is anyone holding it? (LOCK_SH|LOCK_NB, released at once) -> "free" | "held"
//   "P <path>" probe another file: is anyone holding it? (one that cannot be opened counts as held) -> "free" | "held"
//   "W"       wait in the kernel until no one holds it (LOCK_SH, released at once) -> "free"
// The file is opened read-write and created with mode 0600 (0660 in a
// directory shared on purpose), like the core's open; as the core does, the
// helper refuses (exit with "refused: ..." on stderr, PermissionDeniedError
// here) a .lock that is not a regular file of this user. A directory that is
// gone (deleted under an open channel) is "missing: ..." (NotFoundError).

// perl: with a deadline, LOCK_NB retries with sleeps from 50 us doubling to
// 2 ms, as the spec says; after locking, checks that .lock still names the
// locked file (else reopens and tries again).
const PERL_SCRIPT = String.raw`
use strict; use warnings; use Fcntl qw(:flock :mode O_RDONLY O_RDWR O_CREAT O_EXCL O_NOFOLLOW O_NONBLOCK);
$| = 1;
my $path = shift; my $shared = (shift // '') eq 'shared'; my $fh;
sub reopen {
  close($fh) if $fh;
  my $flags = O_RDWR | O_NOFOLLOW | O_NONBLOCK;
  my $created = sysopen($fh, $path, $flags | O_CREAT | O_EXCL, 0600);
  if (!$created) { sysopen($fh, $path, $flags) or die(($!{ENOENT} ? 'missing' : 'refused') . ": open $path: $!\n"); }
  my @st = stat($fh);
  die "refused: '$path' is not a regular file\n" unless S_ISREG($st[2]);
  die "refused: '$path' is owned by uid $st[4], not by this user (uid $>)\n" if !$shared && $st[4] != $>;
  chmod($shared ? 0660 : 0600, $fh) if $created;
}
sub same { my @a = stat($fh); my @b = stat($path); return @b && $a[0] == $b[0] && $a[1] == $b[1]; }
reopen(); print "ready\n";
while (defined(my $cmd = <STDIN>)) {
  chomp $cmd;
  if ($cmd =~ /^L(?: (\d+))?$/) {
    my $timed = defined $1; my $left = $timed ? $1 / 1000 : -1; my $nap = 0.00005; my $got = 0;
    while (1) {
      $got = $timed ? flock($fh, LOCK_EX | LOCK_NB) : flock($fh, LOCK_EX);
      if ($got) { last if same(); flock($fh, LOCK_UN); reopen(); $got = 0; next; }
      last if !$timed || $left <= 0;
      my $t = $nap < $left ? $nap : $left; select(undef, undef, undef, $t); $left -= $t;
      $nap = $nap * 2 > 0.002 ? 0.002 : $nap * 2;
    }
    print $got ? "locked\n" : $timed ? "busy\n" : "failed\n";
  } elsif ($cmd eq 'S') {
    if (flock($fh, LOCK_SH | LOCK_NB)) { flock($fh, LOCK_UN); print "free\n"; } else { print "held\n"; }
  } elsif ($cmd =~ /^P (.+)$/) {
    my $g; if (sysopen($g, $1, O_RDONLY | O_NOFOLLOW | O_NONBLOCK)) { print flock($g, LOCK_SH | LOCK_NB) ? "free\n" : "held\n"; close($g); }
    else { print "held\n"; }
  } elsif ($cmd eq 'W') { flock($fh, LOCK_SH); flock($fh, LOCK_UN); print "free\n"; }
  elsif ($cmd eq 'U') { flock($fh, LOCK_UN); print "open\n"; }
  elsif ($cmd eq 'R') { reopen(); print "open\n"; }
  else { print "failed\n"; }
}
`;

// sh: flock(1) on descriptor 9 locks the shell's open file description, so
// the lock outlives flock(1) until the shell closes the descriptor. The
// inode check is done from Node through /proc.
const SH_SCRIPT = `
refuse() { echo "refused: $1" >&2; exit 4; }
check() {
  if [ ! -d "$(dirname "$1")" ]; then echo "missing: the directory of '$1' does not exist" >&2; exit 5; fi
  if [ -L "$1" ] || { [ -e "$1" ] && [ ! -f "$1" ]; }; then refuse "'$1' is not a regular file"; fi
  if [ "$2" != shared ] && [ -e "$1" ] && [ ! -O "$1" ]; then refuse "'$1' is another user's"; fi
}
if [ "$2" = shared ]; then umask 007; else umask 077; fi
check "$1" "$2"
exec 9<>"$1" || exit 3
echo ready
while IFS= read -r cmd; do
  case "$cmd" in
    L) if flock -x 9; then echo locked; else echo failed; fi ;;
    "L "*) ms=\${cmd#L }
       if flock -x -w "$((ms / 1000)).$(printf '%03d' $((ms % 1000)))" 9; then echo locked; else echo busy; fi ;;
    S) if flock -s -n 9; then flock -u 9; echo free; else echo held; fi ;;
    "P "*) p=\${cmd#P }
       if [ ! -f "$p" ] || [ -L "$p" ]; then echo held; elif flock -s -n "$p" true; then echo free; else echo held; fi ;;
    W) if flock -s 9; then flock -u 9; echo free; else echo failed; fi ;;
    U|R) exec 9>&-; check "$1" "$2"; if exec 9<>"$1"; then echo open; else echo failed; fi ;;
    *) echo failed ;;
  esac
done
`;

function onPath(name) {
  for (const dir of String(process.env.PATH || '/usr/bin:/bin').split(':')) {
    if (!dir) continue;
    try {
      accessSync(path.join(dir, name), fsConstants.X_OK);
      return path.join(dir, name);
    } catch {
      // Not here.
    }
  }
  return null;
}

// The helper to use: {kind, command, args(lockPath)}.
function chooseHelper() {
  const forced = process.env.IPCKIT_LOCK_HELPER;
  const perl = onPath('perl');
  if (forced !== 'flock' && perl) {
    return { kind: 'perl', command: perl, args: (p, shared) => ['-e', PERL_SCRIPT, p, shared ? 'shared' : 'private'] };
  }
  if (forced === 'perl') throw makeError('not_found', 'IPCKIT_LOCK_HELPER=perl, but there is no perl on PATH');
  return {
    kind: 'flock', command: '/bin/sh', args: (p, shared) => ['-c', SH_SCRIPT, 'ipckit-lock', p, shared ? 'shared' : 'private'],
  };
}

export class ChannelLockHelper {
  #lockPath;
  #child = null;
  #lines = [];        // answers not yet consumed
  #waiters = [];      // resolvers waiting for the next answer
  #partial = '';
  #exited = null;     // why the helper is gone, once it is
  #held = false;
  #queue = Promise.resolve();  // serializes acquire/release users in-process
  #helper;
  #allowShared;

  // `allowShared`: the directory is shared on purpose (another user's .lock
  // is accepted; a new one is 0660). `file`: the lock file's name in `dir`
  // (default .lock; .backend.lock for backend liveness).
  constructor(dir, { allowShared = false, file = LOCK_FILE } = {}) {
    this.#lockPath = path.join(dir, file);
    this.#helper = chooseHelper();
    this.#allowShared = Boolean(allowShared);
  }

  get lockPath() { return this.#lockPath; }
  // "perl" or "flock": which helper takes the lock.
  get helperKind() { return this.#helper.kind; }
  get held() { return this.#held; }

  // Runs `fn(deadlineMs)` with the lock held; `timeoutMs` bounds the wait
  // (Infinity: the kernel queues us, no polling). `deadlineMs` (a Date.now()
  // value or Infinity) is when that wait's timeout ends, for further locks
  // taken inside (the 0.1 lock: one timeout for both). Callers in this
  // process take turns.
  async withLock(timeoutMs, fn) {
    const turn = this.#queue.then(async () => {
      const deadlineMs = timeoutMs === Infinity ? Infinity : Date.now() + timeoutMs;
      await this.acquire(timeoutMs);
      try {
        return await fn(deadlineMs);
      } finally {
        await this.release();
      }
    });
    this.#queue = turn.catch(() => {});
    return turn;
  }

  async acquire(timeoutMs = Infinity) {
    if (this.#held) throw makeError('invalid_argument', `lock '${this.#lockPath}' is already held by this channel`);
    const started = Date.now();
    for (;;) {
      await this.#start();
      const remainingMs = timeoutMs === Infinity ? Infinity : Math.max(0, timeoutMs - (Date.now() - started));
      const answer = await this.#command(remainingMs === Infinity ? 'L' : `L ${Math.ceil(remainingMs)}`);
      if (answer === 'busy') {
        throw new TimeoutError(`lock '${this.#lockPath}' is held by another writer past the timeout of ${timeoutMs} ms`);
      }
      if (answer !== 'locked') throw makeError('io', `flock on '${this.#lockPath}' failed`);
      // As the core does: if .lock was deleted or replaced meanwhile, our lock
      // is on an inode other writers no longer open, so start over. (The perl
      // helper checks this itself.)
      if (this.#helper.kind === 'perl' || this.#sameInode()) {
        this.#held = true;
        return;
      }
      await this.#command('R');
      if (timeoutMs !== Infinity && Date.now() - started >= timeoutMs) {
        throw new TimeoutError(`lock '${this.#lockPath}' kept being replaced`);
      }
    }
  }

  async release() {
    if (!this.#held) return;
    this.#held = false;
    if (this.#exited) return;  // the kernel dropped it with the helper
    const answer = await this.#command('U');
    if (answer !== 'open') throw makeError('io', `reopening '${this.#lockPath}' after unlock failed`);
  }

  // Whether another process holds the lock now (it is not taken).
  async probe() {
    await this.#start();
    const answer = await this.#command('S');
    if (answer !== 'free' && answer !== 'held') throw makeError('io', `probing '${this.#lockPath}' failed`);
    return answer === 'held';
  }

  // Whether another process holds a lock on `file` (any path; one that
  // cannot be opened, a missing one too, counts as held: spec/
  // file_channel.md, rule C1), e.g. a named reader's .lock, probed without
  // taking it. Usable while this helper's own lock is held.
  async probeFile(file) {
    if (String(file).includes('\n')) throw makeError('invalid_argument', `a lock path with a newline: ${JSON.stringify(file)}`);
    await this.#start();
    const answer = await this.#command(`P ${file}`);
    if (answer !== 'free' && answer !== 'held') throw makeError('io', `probing '${file}' failed`);
    return answer === 'held';
  }

  // Resolves once no process holds the lock: waits in the kernel, so a
  // holder's exit or death wakes it at once. close() ends the wait.
  async waitReleased() {
    await this.#start();
    const answer = await this.#command('W');
    if (answer !== 'free') throw makeError('io', `waiting for '${this.#lockPath}' failed`);
  }

  // Ends the helper (dropping the lock if held).
  close() {
    this.#held = false;
    if (this.#child && !this.#exited) {
      // A helper blocked in a wait ("W", "L") would not see EOF until then.
      if (this.#waiters.length > 0) this.#child.kill();
      this.#child.stdin.end();
      this.#exited = new ClosedError(`lock helper for '${this.#lockPath}' was closed`);
    }
    this.#failWaiters(this.#exited || new ClosedError('closed'));
  }

  #sameInode() {
    try {
      const held = statSync(`/proc/${this.#child.pid}/fd/9`);
      const current = statSync(this.#lockPath);
      return held.ino === current.ino && held.dev === current.dev;
    } catch (err) {
      // No /proc (not Linux): trust the lock; a deleted .lock is rare.
      if (err && err.code === 'ENOENT' && !String(err.path || '').startsWith('/proc/')) return false;
      return true;
    }
  }

  async #start() {
    if (this.#exited) throw this.#exited;
    if (this.#child) return;
    const child = spawn(this.#helper.command, this.#helper.args(this.#lockPath, this.#allowShared), { stdio: ['pipe', 'pipe', 'pipe'] });
    this.#child = child;
    let stderr = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (s) => { if (stderr.length < 4096) stderr += s; });
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (s) => this.#onData(s));
    child.stdin.on('error', () => {});  // EPIPE after the helper died: seen via 'exit'
    child.on('error', (err) => this.#onExit(makeError('io', `cannot start the lock helper ${this.#helper.command}: ${err.message}`)));
    child.on('exit', (code, signal) => {
      const why = stderr.trim() || (signal ? `signal ${signal}` : `exit ${code}`);
      if (why.startsWith('refused: ')) {
        this.#onExit(makeError('permission_denied', `lock file ${why.slice('refused: '.length)}: refused`));
        return;
      }
      if (why.startsWith('missing: ')) {
        this.#onExit(makeError('not_found', `lock file: ${why.slice('missing: '.length)}`));
        return;
      }
      const needs = this.#helper.kind === 'flock' ? '; it needs flock(1) from util-linux' : '';
      this.#onExit(makeError('io', `lock helper (${this.#helper.kind}) for '${this.#lockPath}' ended (${why})${needs}`));
    });
    const first = await this.#nextLine();
    if (first !== 'ready') throw makeError('io', `lock helper for '${this.#lockPath}' did not start`);
  }

  #command(cmd) {
    if (this.#exited) return Promise.reject(this.#exited);
    this.#child.stdin.write(`${cmd}\n`);
    return this.#nextLine();
  }

  #nextLine() {
    if (this.#lines.length > 0) return Promise.resolve(this.#lines.shift());
    if (this.#exited) return Promise.reject(this.#exited);
    return new Promise((resolve, reject) => this.#waiters.push({ resolve, reject }));
  }

  #onData(s) {
    this.#partial += s;
    let nl;
    while ((nl = this.#partial.indexOf('\n')) >= 0) {
      const line = this.#partial.slice(0, nl);
      this.#partial = this.#partial.slice(nl + 1);
      const waiter = this.#waiters.shift();
      if (waiter) waiter.resolve(line);
      else this.#lines.push(line);
    }
  }

  #onExit(err) {
    if (!this.#exited) this.#exited = err;
    this.#held = false;
    this.#failWaiters(this.#exited);
  }

  #failWaiters(err) {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w.reject(err instanceof IpckitError ? err : makeError('io', String(err)));
  }
}
