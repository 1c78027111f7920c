// The FileChannel locks from Node: .lock (writers), .backend.lock (backend
// liveness) and the named readers' locks, taken by the rule of
// spec/file_channel.md, "Locks" (flock(2), then on Linux an open file
// description lock on byte 0x7fffffff, as the C++ core's LockFile does), so
// Node, C++, Python and Windows processes under Wine exclude each other.
// Writers also take ipckit 0.1's per-file lock inside .lock (write protocol
// step 3, ipckit01_lock.js; appendToChannelFile in file_channel.js does both).
//
//   const lock = new ChannelLockHelper('/path/to/channel');
//   await lock.withLock(5000, async () => { /* read, append, temp file, rename */ });
//   lock.close();
//
// Node has neither flock() nor fcntl() locks. Each helper is one long-lived
// perl process that holds the lock file open and locks/unlocks it on command
// (about 0.1 ms per lock/unlock), so the locks are the kernel's own: released
// if the helper exits or is killed, and the helper exits when this process
// dies (EOF on its stdin), so no lock is ever left behind. perl is always
// there: Debian's perl-base is Essential, and macOS ships perl.
import { spawn } from 'node:child_process';
import { accessSync, constants as fsConstants } from 'node:fs';
import path from 'node:path';
import { ClosedError, IpckitError, TimeoutError, makeError } from '../errors.js';
import { LOCK_FILE } from '../file_channel_format.js';

// The helper speaks a line per command and per answer:
//   "L"       lock, waiting in the kernel as long as it takes -> "locked"
//   "L <ms>"  lock, waiting at most <ms> ms                     -> "locked" | "busy"
//   "U"       unlock                                            -> "open"
//   "R"       reopen the lock file (it was replaced)            -> "open"
//   "S"       probe: is anyone holding it? (a shared lock, released at once) -> "free" | "held"
//   "P <path>" probe another file: is anyone holding it? (one that cannot be opened counts as held) -> "free" | "held"
//   "W"       wait in the kernel until no one holds it (a shared lock, released at once) -> "free"
// The file is opened read-write and created with mode 0600 (0660 in a
// directory shared on purpose), like the core's open; as the core does, the
// helper refuses (exit with "refused: ..." on stderr, PermissionDeniedError
// here) a .lock that is not a regular file of this user. A directory that is
// gone (deleted under an open channel) is "missing: ..." (NotFoundError).
//
// The lock is taken, probed, waited for and given back exactly as "Locks" in
// spec/file_channel.md says (the order of the two locks, the byte, the
// backoff of a timed wait, the check that the path still names the locked
// file). struct flock is packed for 64-bit Linux (x86_64, aarch64: short,
// short, 4 bytes of padding, off_t, off_t, pid_t, padding); elsewhere the
// helper takes the flock alone, as the core does where there are no OFD locks.
const PERL_SCRIPT = String.raw`
use strict; use warnings; use Config;
use Fcntl qw(:flock :mode O_RDONLY O_RDWR O_CREAT O_EXCL O_NOFOLLOW O_NONBLOCK F_RDLCK F_WRLCK F_UNLCK);
$| = 1;
my $path = shift; my $shared = (shift // '') eq 'shared'; my $fh;
my ($OFD_SETLK, $OFD_SETLKW, $BYTE) = (37, 38, 0x7fffffff);
my $ofd = $^O eq 'linux' && $Config{ptrsize} == 8;
sub range { return pack('s s x4 q q i x4', $_[0], 0, $BYTE, 1, 0); }
# The OFD lock command $cmd of type $type on $f: 1 granted, 0 refused (held by
# another). A kernel without OFD locks (EINVAL) grants it: the flock alone.
sub ofd {
  my ($f, $cmd, $type) = @_;
  return 1 unless $ofd;
  my $r = range($type);
  while (1) {
    return 1 if fcntl($f, $cmd, $r);
    next if $!{EINTR};
    return 1 if $!{EINVAL};
    return 0 if $!{EAGAIN} || $!{EACCES};
    die "io: lock byte $BYTE of '$path': $!\n";
  }
}
# flock, then the OFD lock; a refused OFD lock gives the flock back.
sub take {
  my ($f, $op, $wait) = @_;
  return 0 unless flock($f, $wait ? $op : $op | LOCK_NB);
  return 1 if ofd($f, $wait ? $OFD_SETLKW : $OFD_SETLK, $op == LOCK_EX ? F_WRLCK : F_RDLCK);
  flock($f, LOCK_UN);
  return 0;
}
sub give { my ($f) = @_; ofd($f, $OFD_SETLK, F_UNLCK); flock($f, LOCK_UN); }
# Held by another: a shared lock of both kinds is refused (and if granted, given back).
sub probe { my ($f) = @_; return 1 unless take($f, LOCK_SH, 0); give($f); return 0; }
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
      $got = take($fh, LOCK_EX, !$timed);
      if ($got) { last if same(); give($fh); reopen(); $got = 0; next; }
      last if !$timed || $left <= 0;
      my $t = $nap < $left ? $nap : $left; select(undef, undef, undef, $t); $left -= $t;
      $nap = $nap * 2 > 0.01 ? 0.01 : $nap * 2;
    }
    print $got ? "locked\n" : $timed ? "busy\n" : "failed\n";
  } elsif ($cmd eq 'S') {
    print probe($fh) ? "held\n" : "free\n";
  } elsif ($cmd =~ /^P (.+)$/) {
    my $g; if (sysopen($g, $1, O_RDONLY | O_NOFOLLOW | O_NONBLOCK)) { print probe($g) ? "held\n" : "free\n"; close($g); }
    else { print "held\n"; }
  } elsif ($cmd eq 'W') { if (take($fh, LOCK_SH, 1)) { give($fh); print "free\n"; } else { print "failed\n"; } }
  elsif ($cmd eq 'U') { give($fh); print "open\n"; }
  elsif ($cmd eq 'R') { reopen(); print "open\n"; }
  else { print "failed\n"; }
}
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

// The perl to run the helper with; NotFoundError if there is none.
function findPerl() {
  const perl = onPath('perl');
  if (!perl) throw makeError('not_found', 'the FileChannel lock needs perl on PATH (Debian: perl-base; macOS ships it)');
  return perl;
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
  #unlockError = null;  // a withLock unlock that failed, thrown by the next acquire
  #perl;
  #allowShared;

  // `allowShared`: the directory is shared on purpose (another user's .lock
  // is accepted; a new one is 0660). `file`: the lock file's name in `dir`
  // (default .lock; .backend.lock for backend liveness).
  constructor(dir, { allowShared = false, file = LOCK_FILE } = {}) {
    this.#lockPath = path.join(dir, file);
    this.#perl = findPerl();
    this.#allowShared = Boolean(allowShared);
  }

  get lockPath() { return this.#lockPath; }
  get held() { return this.#held; }

  // Runs `fn(deadlineMs)` with the lock held; `timeoutMs` bounds the wait
  // (Infinity: the kernel queues us, no polling). `deadlineMs` (a Date.now()
  // value or Infinity) is when that wait's timeout ends, for further locks
  // taken inside (the 0.1 lock: one timeout for both). Callers in this
  // process take turns.
  // The unlock is sent before this resolves, but its answer is not awaited
  // (a round trip to the helper, on every request's path): the next user in
  // this process waits for it, and an unlock that failed is thrown by the
  // next acquire.
  async withLock(timeoutMs, fn) {
    let released = null;
    const turn = this.#queue.then(async () => {
      const deadlineMs = timeoutMs === Infinity ? Infinity : Date.now() + timeoutMs;
      await this.acquire(timeoutMs);
      try {
        return await fn(deadlineMs);
      } finally {
        released = this.release().catch((err) => { this.#unlockError = err; });
      }
    });
    this.#queue = turn.then(() => released, () => released);
    return turn;
  }

  async acquire(timeoutMs = Infinity) {
    if (this.#held) throw makeError('invalid_argument', `lock '${this.#lockPath}' is already held by this channel`);
    if (this.#unlockError) {
      const err = this.#unlockError;
      this.#unlockError = null;
      throw err;
    }
    await this.#start();
    const answer = await this.#command(timeoutMs === Infinity ? 'L' : `L ${Math.ceil(Math.max(0, timeoutMs))}`);
    if (answer === 'busy') {
      throw new TimeoutError(`lock '${this.#lockPath}' is held by another writer past the timeout of ${timeoutMs} ms`);
    }
    if (answer !== 'locked') throw makeError('io', `locking '${this.#lockPath}' failed`);
    // The helper has checked that the path still names the locked file.
    this.#held = true;
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

  async #start() {
    if (this.#exited) throw this.#exited;
    if (this.#child) return;
    const args = ['-e', PERL_SCRIPT, this.#lockPath, this.#allowShared ? 'shared' : 'private'];
    const child = spawn(this.#perl, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    this.#child = child;
    let stderr = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (s) => { if (stderr.length < 4096) stderr += s; });
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (s) => this.#onData(s));
    child.stdin.on('error', () => {});  // EPIPE after the helper died: seen via 'exit'
    child.on('error', (err) => this.#onExit(makeError('io', `cannot start the lock helper ${this.#perl}: ${err.message}`)));
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
      this.#onExit(makeError('io', `lock helper (perl) for '${this.#lockPath}' ended (${why})`));
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
