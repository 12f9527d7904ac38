"""The gateway's local spool of access records: what makes a read's record durable before any broker
or service is involved.

Each gateway instance appends one JSON line per read to its own file (``<instance>.jsonl``), holding
an exclusive ``flock`` on it while the instance lives; a line is one ``os.write`` of an ``O_APPEND``
file, microseconds, so a read never waits for the network. ``<instance>.offset`` says how far the file
has been handed over; once everything is handed over the file is emptied. A file nobody holds a lock
on belongs to an instance that died: the next instance to look adopts it, hands it over and removes it.
A record handed over twice is stored once (the store keys on the record's id).
"""
import fcntl
import json
import logging
import os
from pathlib import Path

log = logging.getLogger(__name__)

SUFFIX = ".jsonl"


class SpoolFile:
    """One spool file and its hand-over offset."""

    def __init__(self, path):
        self.path = Path(path)
        self.offset_path = self.path.with_suffix(".offset")

    def handed_over(self):
        try:
            return int(self.offset_path.read_text() or 0)
        except (FileNotFoundError, ValueError):
            return 0

    def pending(self, limit):
        """``(records, end)``: up to *limit* records after the hand-over offset and the offset after them.
        A line that is not a record (a write cut short by a full disk) is skipped, logged, never retried."""
        start = self.handed_over()
        try:
            with open(self.path, "rb") as source:
                if start > os.fstat(source.fileno()).st_size:
                    start = 0  # emptied after the offset was written: start again
                source.seek(start)
                records, end = [], start
                for line in source:
                    if not line.endswith(b"\n"):
                        break  # being written (or cut short): not yet a record
                    end += len(line)
                    try:
                        records.append(json.loads(line))
                    except ValueError:
                        log.error("access spool %s: unreadable line at %d skipped", self.path.name, end - len(line))
                    if len(records) >= limit:
                        break
        except FileNotFoundError:
            return [], start
        return records, end

    def mark_handed_over(self, end):
        temporary = self.offset_path.with_suffix(".offset.tmp")
        temporary.write_text(str(end))
        os.replace(temporary, self.offset_path)

    def remove(self):
        for path in (self.path, self.offset_path):
            path.unlink(missing_ok=True)


class Spool:
    """This instance's spool file in *directory*, and the orphans of dead instances there."""

    def __init__(self, directory, instance):
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.own = SpoolFile(self.directory / f"{safe_name(instance)}{SUFFIX}")
        self._fd = os.open(self.own.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # ours while we live; a clash fails start-up

    def close(self):
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def append(self, record):
        data = (json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n").encode()
        written = 0
        while written < len(data):
            written += os.write(self._fd, data[written:])

    def pending(self, limit):
        return self.own.pending(limit)

    def mark_handed_over(self, end):
        """Everything up to *end* is stored; when that is the whole file, empty it (no yield in between:
        nothing is appended meanwhile in this green-threaded process)."""
        if end >= os.fstat(self._fd).st_size:
            os.ftruncate(self._fd, 0)
            end = 0
        self.own.mark_handed_over(end)

    def backlog_bytes(self):
        try:
            size = self.own.path.stat().st_size
        except FileNotFoundError:
            return 0
        return max(size - self.own.handed_over(), 0)

    def orphans(self):
        """Spool files of instances that are gone (nobody holds their lock), each with its lock held."""
        found = []
        for path in sorted(self.directory.glob(f"*{SUFFIX}")):
            if path == self.own.path:
                continue
            try:
                fd = os.open(path, os.O_RDONLY)
            except FileNotFoundError:
                continue
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)  # a live instance's
                continue
            found.append(Orphan(path, fd))
        return found


class Orphan(SpoolFile):
    """A dead instance's spool file, locked by us until handed over and removed (or released)."""

    def __init__(self, path, fd):
        super().__init__(path)
        self.fd = fd

    def release(self):
        os.close(self.fd)

    def remove(self):
        super().remove()
        self.release()


def safe_name(instance):
    return "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in str(instance))[:100] or "gateway"
