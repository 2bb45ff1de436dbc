"""Files in and out: refuse what is not a plain file before reading it, never leave a half-written file.

Every layer may import this module (it needs only the standard library and `sim.errors`), so the same
rules hold for scenario files, CSV inputs, run folders, sweep folders and reports:

- reading: a path must name a regular file no larger than a stated limit; devices, FIFOs, sockets and
  folders are refused by `fstat` before a byte is read, and the refusal never quotes the file;
- writing: a file is written to a temporary name in its folder and renamed over the final name only
  once complete (`os.replace` is atomic), so a full disk or a crash leaves the old file or none;
- folders: a run or sweep folder is locked (`flock`) while a process writes it; the kernel drops the
  lock of a process that dies, so a stale lock file is recognised and taken over;
- names: a folder name made from a user's text goes through `slug`.
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
import re
import secrets
import socket
import stat
import sys
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import IO, Any

from sim.errors import Problem, ScenarioError

MIB = 1024 * 1024
#: scenario, drill and experiment files (YAML) are small; anything bigger is not one
MAX_YAML_BYTES = 2 * MIB
#: a run or sweep folder's own files read back (report, compare, resume, verify)
MAX_OUTPUT_BYTES = 2048 * MIB
#: folder names made from scenario, drill and experiment names
SLUG_MAX_CHARS = 60
LOCK_NAME = ".mobsim.lock"


class FileRefused(Exception):
    """A path that cannot be read as the file it should be; `reason` says why without quoting it."""

    def __init__(self, reason: str):
        self.reason = reason
        super().__init__(reason)


_KINDS = ((stat.S_ISDIR, "a folder"), (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
          (stat.S_ISFIFO, "a FIFO (named pipe)"), (stat.S_ISSOCK, "a socket"))


def os_error_text(exc: OSError) -> str:
    """What an OSError means to a user, in a few words."""
    code = exc.errno
    if code in (errno.ENOSPC, errno.EDQUOT):
        return "the disk is full"
    return {errno.EROFS: "read-only file system", errno.EACCES: "permission denied", errno.EPERM: "not permitted",
            errno.ENAMETOOLONG: "file name too long", errno.ENOENT: "no such file or folder",
            errno.ENOTDIR: "a part of the path is not a folder", errno.EISDIR: "is a folder",
            errno.ELOOP: "too many symbolic links", errno.EMFILE: "too many open files",
            errno.ENOMEM: "out of memory"}.get(code or 0, exc.strerror or type(exc).__name__)


def read_bytes_limited(path: str | Path, limit: int, what: str = "file") -> bytes:
    """The bytes of a regular file of at most `limit` bytes; FileRefused otherwise (checked before reading:
    /dev/zero, a FIFO or a folder is never read, a huge file never loaded)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | getattr(os, "O_CLOEXEC", 0))
    except ValueError:
        raise FileRefused("the path contains a NUL byte") from None
    except OSError as exc:
        if exc.errno == errno.ENOENT:
            raise FileRefused("file not found") from None
        raise FileRefused(f"cannot read it: {os_error_text(exc)}") from None
    try:
        st = os.fstat(fd)
        for test, kind in _KINDS:
            if test(st.st_mode):
                raise FileRefused(f"is {kind}, not a {what}")
        if not stat.S_ISREG(st.st_mode):
            raise FileRefused(f"is not a regular file, not a {what}")
        if st.st_size > limit:
            raise FileRefused(f"is {st.st_size / MIB:.1f} MiB, over the {limit / MIB:g} MiB allowed for a {what}")
        chunks, size = [], 0
        while size <= limit:  # a file may grow, or report size 0 (procfs): read at most limit + 1 bytes
            try:
                chunk = os.read(fd, min(limit + 1 - size, MIB))
            except OSError as exc:
                raise FileRefused(f"cannot read it: {os_error_text(exc)}") from None
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        if size > limit:
            raise FileRefused(f"is over the {limit / MIB:g} MiB allowed for a {what}")
        return b"".join(chunks)
    finally:
        os.close(fd)


def path_problem(path: str | Path) -> str | None:
    """Why `path` cannot name an input file (None if it names a regular file), without opening it."""
    try:
        st = os.stat(path)
    except ValueError:
        return "the path contains a NUL byte"
    except OSError as exc:
        return "file not found" if exc.errno == errno.ENOENT else f"cannot read it: {os_error_text(exc)}"
    for test, kind in _KINDS:
        if test(st.st_mode):
            return f"is {kind}, not a file"
    return None if stat.S_ISREG(st.st_mode) else "is not a regular file"


def named_file_problem(kind: str, path: str | Path, why: str) -> str:
    """The message for a file another file names: "base file not found (PATH)", "scenario file: is a
    folder, not a file"; the path is shown only when it is short and printable."""
    text = str(path)
    shown = f" ({text})" if len(text) < 200 and text.isprintable() else ""
    return f"{kind} file not found{shown}" if why == "file not found" else f"{kind} file: {why}{shown}"


def read_text_limited(path: str | Path, limit: int = MAX_OUTPUT_BYTES, what: str = "file") -> str:
    """UTF-8 text of a file mobsim wrote (a run or sweep folder's own files), with the same refusals."""
    data = read_bytes_limited(path, limit, what)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise FileRefused(f"is not UTF-8 text, not a {what}") from None


def refused(path: str | Path, exc: FileRefused, field: str = "", line: int | None = None,
            file: str | None = None) -> ScenarioError:
    """A FileRefused as a user's error: the file (or the file and line that name it), never its lines."""
    where = file if file is not None else str(path)
    value = str(path) if file is not None else None
    return ScenarioError([Problem(where, line, field, value, exc.reason)])


# --------------------------------------------------------------------------- names


def slug(text: str, fallback: str = "run", max_chars: int = SLUG_MAX_CHARS) -> str:
    """A folder name from a user's text: letters and digits of any script (Chinese stays readable), `-`
    and `_`; anything else (`/`, `.`, spaces, NUL) becomes `-`; at most `max_chars` characters."""
    text = unicodedata.normalize("NFKC", str(text))
    out = re.sub(r"[^\w-]+", "-", text, flags=re.UNICODE)
    out = re.sub(r"-{2,}", "-", out).strip("-_")[:max_chars].strip("-_")
    return out or fallback


# --------------------------------------------------------------------------- writing


class AtomicFile:
    """A file written under a temporary name beside `path` and renamed over it by `commit()` (after an
    fsync), or removed by `abort()`: readers see the old file or the whole new one, never a part."""

    def __init__(self, path: str | Path, binary: bool = False, encoding: str = "utf-8", newline: str | None = None,
                 durable: bool = True):
        self.path = Path(path)
        self.durable = durable
        stem = self.path.name[:80]
        self.tmp = self.path.with_name(f".{stem}.{os.getpid()}.{secrets.token_hex(3)}.tmp")
        try:
            fd = os.open(self.tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0), 0o666)
        except OSError as exc:
            raise _at(exc, self.path) from None
        self.fh: IO[Any] = (os.fdopen(fd, "wb") if binary
                            else os.fdopen(fd, "w", encoding=encoding, newline=newline))
        self.done = False

    def write(self, data: Any) -> None:
        try:
            self.fh.write(data)
        except OSError as exc:
            self.abort()
            raise _at(exc, self.path) from None

    def commit(self) -> Path:
        if self.done:
            return self.path
        try:
            self.fh.flush()
            if self.durable:
                os.fsync(self.fh.fileno())
            self.fh.close()
            os.replace(self.tmp, self.path)
        except OSError as exc:
            self.abort()
            raise _at(exc, self.path) from None
        self.done = True
        return self.path

    def abort(self) -> None:
        if self.done:
            return
        self.done = True
        try:
            self.fh.close()
        except OSError:
            pass  # the write that failed already said why; the temporary file goes anyway
        try:
            os.unlink(self.tmp)
        except OSError:
            pass

    def __enter__(self) -> AtomicFile:
        return self

    def __exit__(self, tp: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        if tp is None:
            self.commit()
        else:
            self.abort()


def _at(exc: OSError, path: Path) -> OSError:
    """The same error, naming the final file rather than the temporary one."""
    return type(exc)(exc.errno, exc.strerror, str(path)) if exc.errno else exc


@contextmanager
def atomic_open(path: str | Path, mode: str = "w", encoding: str = "utf-8", newline: str | None = None,
                durable: bool = True) -> Iterator[IO[Any]]:
    """`with atomic_open(p) as fh:` writes `p` whole or not at all (a library writing to `fh` included)."""
    af = AtomicFile(path, binary="b" in mode, encoding=encoding, newline=newline, durable=durable)
    try:
        yield af.fh
    except OSError as exc:
        af.abort()
        raise _at(exc, af.path) from None
    except BaseException:
        af.abort()
        raise
    af.commit()


def atomic_write_text(path: str | Path, text: str, durable: bool = True) -> Path:
    with atomic_open(path, "w", newline="", durable=durable) as fh:
        fh.write(text)
    return Path(path)


def atomic_write_bytes(path: str | Path, data: bytes, durable: bool = True) -> Path:
    with atomic_open(path, "wb", durable=durable) as fh:
        fh.write(data)
    return Path(path)


def save_figure(fig: Any, path: str | Path, **kw: Any) -> Path:
    """`fig.savefig` through a temporary file: a full disk leaves no truncated PNG (the format is named,
    as a file object has no suffix to tell it)."""
    with atomic_open(path, "wb") as fh:
        fig.savefig(fh, format=Path(path).suffix.lstrip(".") or "png", **kw)
    return Path(path)


def remove_temp_files(folder: Path) -> None:
    """Temporary files a killed process left behind (their final files were never renamed into place)."""
    for tmp in folder.glob(".*.tmp"):
        try:
            tmp.unlink()
        except OSError:
            pass


# --------------------------------------------------------------------------- folder locks


class FolderLock:
    """An exclusive lock on a run or sweep folder while one process writes it.

    `.mobsim.lock` holds the holder's pid, host, start time and command (JSON) and is `flock`ed. A second
    process is refused with those details. The kernel releases the lock of a process that dies, so a lock
    file left by a killed process is taken over; `stale` then holds what it recorded.
    """

    def __init__(self, folder: str | Path, what: str = "folder"):
        self.folder = Path(folder)
        self.path = self.folder / LOCK_NAME
        self.what = what
        self.fd: int | None = None
        self.stale: dict[str, Any] | None = None

    def acquire(self) -> FolderLock:
        self.folder.mkdir(parents=True, exist_ok=True)
        for _ in range(20):  # the holder may remove the file between our open and our lock: open again
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o666)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = _holder(fd)
                os.close(fd)
                raise self._busy(holder) from None
            except OSError:  # no flock on this file system: fall back to the recorded pid
                holder = _holder(fd)
                if holder and holder.get("host") == socket.gethostname() and _alive(holder.get("pid")):
                    os.close(fd)
                    raise self._busy(holder) from None
            try:
                same = os.fstat(fd).st_ino == os.stat(self.path).st_ino
            except FileNotFoundError:
                same = False
            if not same:
                os.close(fd)
                continue
            self.stale = _holder(fd)
            me = {"pid": os.getpid(), "host": socket.gethostname(), "what": self.what,
                  "started": datetime.now().isoformat(timespec="seconds"), "command": sys.argv}
            data = (json.dumps(me) + "\n").encode()
            os.ftruncate(fd, 0)
            os.pwrite(fd, data, 0)
            self.fd = fd
            return self
        raise OSError(errno.EAGAIN, "could not lock the folder", str(self.path))

    def _busy(self, holder: dict[str, Any] | None) -> ScenarioError:
        who = (f"pid {holder.get('pid')} on {holder.get('host')}, since {holder.get('started')}"
               if holder else "another process")
        return ScenarioError([Problem(str(self.folder), None, "--out", str(self.folder),
                                      f"this {self.what} folder is in use by another mobsim ({who}); wait for "
                                      "it to finish, or choose another --out")])

    def release(self) -> None:
        if self.fd is None:
            return
        try:
            os.unlink(self.path)  # while still holding the lock: a waiter then sees a new file
        except OSError:
            pass
        try:
            fcntl.flock(self.fd, fcntl.LOCK_UN)
        except OSError:
            pass
        os.close(self.fd)
        self.fd = None

    def __enter__(self) -> FolderLock:
        return self.acquire()

    def __exit__(self, tp: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.release()


def _holder(fd: int) -> dict[str, Any] | None:
    try:
        data = os.pread(fd, 4096, 0)
        out = json.loads(data.decode("utf-8")) if data.strip() else None
    except (OSError, ValueError):
        return None
    return out if isinstance(out, dict) else None


def _alive(pid: Any) -> bool:
    if not isinstance(pid, int) or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
