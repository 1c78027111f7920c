#!/usr/bin/env python3
"""Checks that OS calls stay behind the platform seam (cc/platform).

Fails when a C++ source outside cc/platform, in the trees that build ipckit
(cc/, py/src/, py/tools/, conformance/cc/, examples/), includes a POSIX or
Windows system header or calls an OS function directly. A port to another OS
is then the work of cc/platform alone.

  cc/platform/check_system_headers.py                 # from the repo root: check the tree
  cc/platform/check_system_headers.py --root DIR      # check another tree
  cc/platform/check_system_headers.py FILE...         # check these files, no exemptions

Exemptions are files listed in cc/platform/system_headers_exemptions.txt,
each with the reason on its line. An exemption that no longer matches any
violation is an error too, so the list only ever shrinks.

Exit status 0 when clean, 1 with one line per violation otherwise.
"""

import argparse
import os
import re
import sys

# Trees whose C++ sources must go through cc/platform.
CHECKED_TREES = ("cc", "py/src", "py/tools", "conformance/cc", "examples")
# The seam itself.
PLATFORM_TREE = "cc/platform/"
SOURCE_SUFFIXES = (".cc", ".h", ".cpp", ".hpp", ".c")
EXEMPTIONS_FILE = "cc/platform/system_headers_exemptions.txt"

# System headers that belong to one OS family. The C and C++ standard headers
# (<csignal>, <cstdio>, <thread>, ...) are portable and allowed.
SYSTEM_HEADER = re.compile(
    r"""^[ \t]*\#[ \t]*include\s*<(
        (sys|netinet|arpa|linux|asm|net)/[\w/]+\.h
      | unistd\.h | fcntl\.h | poll\.h | dirent\.h | signal\.h | pthread\.h | spawn\.h
      | sched\.h | semaphore\.h | termios\.h | dlfcn\.h | netdb\.h | pwd\.h | grp\.h
      | mqueue\.h | aio\.h | syslog\.h | ifaddrs\.h | libgen\.h | strings\.h | utime\.h
      | windows\.h | winsock2\.h | ws2tcpip\.h | winbase\.h | winnt\.h | afunix\.h
      | ftw\.h | fnmatch\.h | glob\.h | wordexp\.h | err\.h | getopt\.h | paths\.h | execinfo\.h
      | io\.h | direct\.h | process\.h | shlobj\.h | winternl\.h | ntstatus\.h
    )>""",
    re.VERBOSE | re.IGNORECASE | re.MULTILINE,
)

# OS functions that are unambiguous even without a leading "::".
DISTINCT_CALLS = (
    "fork vfork waitpid wait3 wait4 execv execve execvp execl execlp posix_spawn posix_spawnp "
    "kill killpg sigaction sigprocmask pthread_sigmask sigemptyset raise_signal "
    "flock fcntl fsync fdatasync opendir readdir closedir lstat fstat fstatat mkfifo mknod "
    "shm_open shm_unlink mmap munmap mprotect msync ftruncate pipe pipe2 socketpair "
    "getpid getppid geteuid getuid getegid setsid setrlimit getrlimit uname getrandom "
    "inotify_init inotify_init1 inotify_add_watch epoll_create epoll_create1 epoll_wait epoll_ctl "
    "ppoll pselect writev readv pread pwrite dup dup2 dup3 isatty syscall futex "
    "setsockopt getsockopt getsockname inet_pton inet_ntop htons ntohs htonl ntohl "
    "CreateFileW CreateFileA CreateProcessW CreateProcessA CreatePipe CreateNamedPipeW "
    "CreateFileMappingW MapViewOfFile WaitForSingleObject WaitForMultipleObjects "
    "ReadDirectoryChangesW MoveFileExW ReplaceFileW LockFileEx UnlockFileEx CloseHandle "
    "WSAStartup WSAPoll closesocket GetLastError"
).split()
# Common words: OS functions unless called as a method (x.read(), p->close())
# or qualified by a namespace (std::signal, absl::Now); our own functions are
# CamelCase (Google style), so a bare lowercase read( is the OS's.
QUALIFIED_CALLS = (
    "open openat close read write poll select stat unlink unlinkat rename renameat mkdir rmdir "
    "chmod fchmod chown access link symlink readlink truncate socket bind listen accept accept4 "
    "connect send recv sendto recvfrom sendmsg recvmsg shutdown sleep usleep nanosleep "
    "signal alarm pause _exit exit_group umask chdir getcwd realpath"
).split()
CALL = re.compile(r"(?P<q>::)?\b(?P<name>" + "|".join(DISTINCT_CALLS + QUALIFIED_CALLS) + r")\s*\(")


def strip_comments_and_strings(text):
    """Blanks out comments and string/char literals, keeping line numbers."""
    out = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            i = j
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append("\n" * text.count("\n", i, j))
            i = j
        elif text.startswith('R"', i) and (i == 0 or not (text[i - 1].isalnum() or text[i - 1] == "_")):
            m = re.match(r'R"([^(\s]*)\(', text[i:])
            if not m:
                out.append(c)
                i += 1
                continue
            end = ")" + m.group(1) + '"'
            j = text.find(end, i + m.end())
            j = n if j < 0 else j + len(end)
            out.append('""' + "\n" * text.count("\n", i, j))
            i = j
        elif c in "\"'":
            # A digit separator (1'000'000) is no literal.
            if c == "'" and i > 0 and text[i - 1].isalnum():
                out.append(c)
                i += 1
                continue
            j = i + 1
            while j < n and text[j] != c and text[j] != "\n":
                j += 2 if text[j] == "\\" else 1
            out.append(c + c)
            i = j + 1
        else:
            out.append(c)
            i += 1
    return "".join(out)


def violations_in(path, text):
    """Yields "path:line: what" for each system header include and OS call."""
    for m in SYSTEM_HEADER.finditer(text):
        line = text.count("\n", 0, m.start()) + 1
        yield f"{path}:{line}: includes <{m.group(1)}>"
    code = strip_comments_and_strings(text)
    for m in CALL.finditer(code):
        name, start = m.group("name"), m.start()
        before = code[max(0, start - 40):start]
        if m.group("q"):
            # "ipckit::Read(" or "std::signal(" is no OS call; "::read(" is.
            if re.search(r"\w$", before):
                continue
        else:
            # A method (x.fork(), p->kill()), or a declaration or definition of
            # our own function with that name ("Status kill(", "void pipe()").
            if re.search(r"(\.|->)\s*$", before):
                continue
            if re.search(r"(\w|>|\*|&)\s+$", before) and not re.search(
                r"\b(return|else|do|case|throw|if|while|and|or|not)\s+$", before
            ):
                continue
        line = code.count("\n", 0, start) + 1
        yield f"{path}:{line}: calls {m.group('q') or ''}{name}()"


def load_exemptions(root):
    """{path: reason} from the exemptions file; a line without a reason is an error."""
    exemptions, errors = {}, []
    path = os.path.join(root, EXEMPTIONS_FILE)
    if not os.path.exists(path):
        return exemptions, errors
    with open(path, encoding="utf-8") as f:
        for number, raw in enumerate(f, 1):
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            file, _, reason = line.partition(" ")
            if not reason.strip():
                errors.append(f"{EXEMPTIONS_FILE}:{number}: '{file}' is exempt without a reason")
            exemptions[file.rstrip("/")] = reason.strip()
    return exemptions, errors


def exempt(rel, exemptions):
    """The exemption covering `rel`: the file itself or a directory above it."""
    parts = rel.split("/")
    for k in range(len(parts), 0, -1):
        key = "/".join(parts[:k])
        if key in exemptions:
            return key
    return None


def checked_files(root):
    for tree in CHECKED_TREES:
        top = os.path.join(root, tree)
        for dirpath, dirnames, filenames in os.walk(top):
            dirnames[:] = sorted(d for d in dirnames if not d.startswith((".", "bazel-")))
            for name in sorted(filenames):
                if not name.endswith(SOURCE_SUFFIXES):
                    continue
                rel = os.path.relpath(os.path.join(dirpath, name), root).replace(os.sep, "/")
                if rel.startswith(PLATFORM_TREE):
                    continue
                yield rel


def check_tree(root):
    exemptions, problems = load_exemptions(root)
    used = set()
    for rel in checked_files(root):
        with open(os.path.join(root, rel), encoding="utf-8", errors="replace") as f:
            found = list(violations_in(rel, f.read()))
        if not found:
            continue
        key = exempt(rel, exemptions)
        if key is not None:
            used.add(key)
            continue
        problems.extend(found)
    for key in sorted(set(exemptions) - used):
        problems.append(f"{EXEMPTIONS_FILE}: '{key}' is exempt but has no system call any more: drop it")
    return problems


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", default=".", help="repository root (default: current directory)")
    parser.add_argument("files", nargs="*", help="check only these files, with no exemptions")
    args = parser.parse_args(argv)
    if args.files:
        problems = []
        for file in args.files:
            with open(file, encoding="utf-8", errors="replace") as f:
                problems.extend(violations_in(file, f.read()))
    else:
        problems = check_tree(args.root)
    for problem in problems:
        print(problem)
    if problems:
        print(f"{len(problems)} system call(s) outside {PLATFORM_TREE}: move them behind a header there "
              f"(or exempt the file, with a reason, in {EXEMPTIONS_FILE})")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
