"""LauraDB for Python: an embeddable, ordered key-value store.

A thin binding over the library's C API (``laura/c.h``) with ctypes: no
compiled extension, so the package works with any Python 3 against the
installed ``liblaura.so``, and ctypes releases the GIL around every call
into the library, so other threads run while one waits on I/O.

    import laura
    with laura.open("/tmp/my.laura") as db:
        db[b"user/1"] = b"ada"
        with db.write() as txn:          # one atomic commit
            txn.put(b"user/2", b"grace")
            txn.delete(b"user/1")
        with db.read() as snap:          # a consistent snapshot
            for key, value in snap.items(prefix=b"user/"):
                print(key, value)

Keys and values are bytes (bytes, bytearray or memoryview in; bytes out).
Errors are LauraError subclasses; a missing key raises KeyError from
``db[key]`` (``db.get`` returns a default instead).

The library is found through the LAURA_LIBRARY environment variable (a
path to liblaura.so), beside this package, or on the system's library
path (``liblaura.so.0``).
"""
import ctypes
import ctypes.util
import os

__all__ = [
    "open", "DB", "Space", "Snapshot", "Transaction", "Batch", "version",
    "LauraError", "NotFoundError", "InvalidArgumentError", "AlreadyExistsError",
    "FailedPreconditionError", "DataLossError", "ResourceExhaustedError",
    "UnavailableError",
]


class LauraError(Exception):
    """Base of the errors the library reports."""


class NotFoundError(LauraError, KeyError):
    """A missing key or database."""


class InvalidArgumentError(LauraError, ValueError):
    """Bad options, a key or value too large."""


class AlreadyExistsError(LauraError):
    """error_if_exists, or a backup target that holds a database."""


class FailedPreconditionError(LauraError):
    """Locked by another process, read-only, closed, or failed."""


class DataLossError(LauraError):
    """A damaged file."""


class ResourceExhaustedError(LauraError):
    """Disk full."""


class UnavailableError(LauraError):
    """A writer process did not answer."""


_ERRORS = {
    1: NotFoundError, 2: InvalidArgumentError, 3: AlreadyExistsError,
    4: FailedPreconditionError, 5: DataLossError, 6: ResourceExhaustedError,
    7: UnavailableError,
}


def _load():
    candidates = []
    if os.environ.get("LAURA_LIBRARY"):
        candidates.append(os.environ["LAURA_LIBRARY"])
    candidates.append(os.path.join(os.path.dirname(__file__), "liblaura.so"))
    found = ctypes.util.find_library("laura")
    if found:
        candidates.append(found)
    candidates.append("liblaura.so.0")
    errors = []
    for path in candidates:
        try:
            return ctypes.CDLL(path)
        except OSError as e:
            errors.append(f"{path}: {e}")
    raise ImportError("cannot load liblaura.so (set LAURA_LIBRARY): " + "; ".join(errors))


_lib = _load()
_c = ctypes
_p = _c.c_void_p
_size = _c.c_size_t
_errp = _c.POINTER(_c.c_void_p)


def _fn(name, restype, *argtypes):
    f = getattr(_lib, name)
    f.restype = restype
    f.argtypes = list(argtypes)
    return f


_version = _fn("laura_version", _c.c_char_p)
_free = _fn("laura_free", None, _p)
_opts_create = _fn("laura_options_create", _p)
_opts_destroy = _fn("laura_options_destroy", None, _p)
_OPTION_SETTERS = {
    "create_if_missing": _fn("laura_options_set_create_if_missing", None, _p, _c.c_int),
    "error_if_exists": _fn("laura_options_set_error_if_exists", None, _p, _c.c_int),
    "read_only": _fn("laura_options_set_read_only", None, _p, _c.c_int),
    "disk_manager": _fn("laura_options_set_disk_manager", None, _p, _c.c_int),
    "durability": _fn("laura_options_set_durability", None, _p, _c.c_int),
    "cache_size": _fn("laura_options_set_cache_size", None, _p, _c.c_uint64),
    "page_size": _fn("laura_options_set_page_size", None, _p, _c.c_uint32),
    "lock_timeout_ms": _fn("laura_options_set_lock_timeout_ms", None, _p, _c.c_uint32),
}
_DISK_MANAGERS = {"mmap": 0, "pread": 1}
_DURABILITIES = {"sync": 0, "timer": 1, "none": 2}

_open = _fn("laura_open", _c.c_int, _p, _c.c_char_p, _c.POINTER(_p), _errp)
_close = _fn("laura_close", _c.c_int, _p, _errp)
_get = _fn("laura_get", _c.c_int, _p, _c.c_char_p, _size, _c.POINTER(_p), _c.POINTER(_size), _errp)
_put = _fn("laura_put", _c.c_int, _p, _c.c_char_p, _size, _c.c_char_p, _size, _errp)
_delete = _fn("laura_delete", _c.c_int, _p, _c.c_char_p, _size, _errp)
_write = _fn("laura_write", _c.c_int, _p, _p, _c.c_int, _errp)
_sync = _fn("laura_sync", _c.c_int, _p, _errp)
_checkpoint = _fn("laura_checkpoint", _c.c_int, _p, _errp)
_compact = _fn("laura_compact", _c.c_int, _p, _errp)
_backup = _fn("laura_backup", _c.c_int, _p, _c.c_char_p, _c.c_int, _errp)
_stats = _fn("laura_stats", _p, _p)
_batch_create = _fn("laura_writebatch_create", _p)
_batch_destroy = _fn("laura_writebatch_destroy", None, _p)
_batch_put = _fn("laura_writebatch_put", None, _p, _c.c_char_p, _size, _c.c_char_p, _size)
_batch_delete = _fn("laura_writebatch_delete", None, _p, _c.c_char_p, _size)
_batch_count = _fn("laura_writebatch_count", _size, _p)
_begin_read = _fn("laura_begin_read", _p, _p)
_read_get = _fn("laura_readtxn_get", _c.c_int, _p, _c.c_char_p, _size, _c.POINTER(_p),
                _c.POINTER(_size), _errp)
_read_end = _fn("laura_readtxn_end", None, _p)
_begin_write = _fn("laura_begin_write", _c.c_int, _p, _c.c_int, _c.POINTER(_p), _errp)
_txn_get = _fn("laura_writetxn_get", _c.c_int, _p, _c.c_char_p, _size, _c.POINTER(_p),
               _c.POINTER(_size), _errp)
_txn_put = _fn("laura_writetxn_put", _c.c_int, _p, _c.c_char_p, _size, _c.c_char_p, _size, _errp)
_txn_delete = _fn("laura_writetxn_delete", _c.c_int, _p, _c.c_char_p, _size, _errp)
_txn_commit = _fn("laura_writetxn_commit", _c.c_int, _p, _c.c_int, _errp)
_txn_abort = _fn("laura_writetxn_abort", None, _p)
_it_create = _fn("laura_iterator_create", _p, _p)
_it_read = _fn("laura_readtxn_iterator", _p, _p)
_it_write = _fn("laura_writetxn_iterator", _p, _p)
_it_destroy = _fn("laura_iterator_destroy", None, _p)
_it_valid = _fn("laura_iterator_valid", _c.c_int, _p)
_it_first = _fn("laura_iterator_seek_to_first", None, _p)
_it_last = _fn("laura_iterator_seek_to_last", None, _p)
_it_seek = _fn("laura_iterator_seek", None, _p, _c.c_char_p, _size)
_it_seek_prev = _fn("laura_iterator_seek_for_prev", None, _p, _c.c_char_p, _size)
_it_next = _fn("laura_iterator_next", None, _p)
_it_prev = _fn("laura_iterator_prev", None, _p)
_it_key = _fn("laura_iterator_key", _p, _p, _c.POINTER(_size))
_it_value = _fn("laura_iterator_value", _p, _p, _c.POINTER(_size))
_it_status = _fn("laura_iterator_status", _c.c_int, _p, _errp)
_space_create = _fn("laura_space_create", _c.c_int, _p, _c.c_char_p, _c.POINTER(_p), _errp)
_space_open = _fn("laura_space_open", _c.c_int, _p, _c.c_char_p, _c.POINTER(_p), _errp)
_space_drop = _fn("laura_space_drop", _c.c_int, _p, _c.c_char_p, _errp)
_space_list = _fn("laura_space_list", _c.c_int, _p, _c.POINTER(_c.POINTER(_c.c_void_p)),
                  _c.POINTER(_size), _errp)
_space_destroy = _fn("laura_space_destroy", None, _p)
_space_get = _fn("laura_space_get", _c.c_int, _p, _p, _c.c_char_p, _size, _c.POINTER(_p),
                 _c.POINTER(_size), _errp)
_space_put = _fn("laura_space_put", _c.c_int, _p, _p, _c.c_char_p, _size, _c.c_char_p, _size,
                 _errp)
_space_delete = _fn("laura_space_delete", _c.c_int, _p, _p, _c.c_char_p, _size, _errp)
_space_iterator = _fn("laura_space_iterator", _p, _p, _p)
_batch_space_put = _fn("laura_writebatch_space_put", None, _p, _p, _c.c_char_p, _size,
                       _c.c_char_p, _size)
_batch_space_delete = _fn("laura_writebatch_space_delete", None, _p, _p, _c.c_char_p, _size)
_read_space_get = _fn("laura_readtxn_space_get", _c.c_int, _p, _p, _c.c_char_p, _size,
                      _c.POINTER(_p), _c.POINTER(_size), _errp)
_read_space_iterator = _fn("laura_readtxn_space_iterator", _p, _p, _p)
_txn_space_get = _fn("laura_writetxn_space_get", _c.c_int, _p, _p, _c.c_char_p, _size,
                     _c.POINTER(_p), _c.POINTER(_size), _errp)
_txn_space_put = _fn("laura_writetxn_space_put", _c.c_int, _p, _p, _c.c_char_p, _size,
                     _c.c_char_p, _size, _errp)
_txn_space_delete = _fn("laura_writetxn_space_delete", _c.c_int, _p, _p, _c.c_char_p, _size,
                        _errp)
_txn_space_iterator = _fn("laura_writetxn_space_iterator", _p, _p, _p)


def version():
    """The library's version, "MAJOR.MINOR.PATCH"."""
    return _version().decode()


def _bytes(data, what="key"):
    if isinstance(data, bytes):
        return data
    if isinstance(data, (bytearray, memoryview)):
        return bytes(data)
    raise TypeError(f"{what} must be bytes, not {type(data).__name__}")


def _check(code, err):
    """Raises the error for a failed call (and frees its message)."""
    if code == 0:
        return
    message = "unknown error"
    if err.value:
        message = _c.string_at(err.value).decode("utf-8", "replace")
        _free(err.value)
    raise _ERRORS.get(code, LauraError)(message)


def _call(fn, *args):
    err = _c.c_void_p()
    _check(fn(*args, _c.byref(err)), err)


def _fetch(fn, handle, key, space=None):
    """The value of key through a get call (with space's handle first when
    given), or None if absent."""
    key = _bytes(key)
    value, length, err = _c.c_void_p(), _size(), _c.c_void_p()
    lead = (handle,) if space is None else (handle, space._live())
    code = fn(*lead, key, len(key), _c.byref(value), _c.byref(length), _c.byref(err))
    if code == 1:
        if err.value:
            _free(err.value)
        return None
    _check(code, err)
    try:
        return _c.string_at(value.value, length.value)
    finally:
        _free(value.value)


def _prefix_end(prefix):
    """The smallest key after every key that starts with prefix (None: none)."""
    p = bytearray(prefix)
    while p and p[-1] == 0xFF:
        p.pop()
    if not p:
        return None
    p[-1] += 1
    return bytes(p)


def _iterate(owner, make, start, stop, prefix, reverse):
    """Yields (key, value) over [start, stop) (or the keys with prefix),
    ascending or, with reverse, descending. owner keeps the handle alive."""
    if prefix is not None:
        prefix = _bytes(prefix, "prefix")
        start, stop = prefix, _prefix_end(prefix)
    start = None if start is None else _bytes(start, "start")
    stop = None if stop is None else _bytes(stop, "stop")
    it = make()
    if not it:
        raise FailedPreconditionError("the database is closed")
    try:
        length = _size()
        if reverse:
            if stop is None:
                _it_last(it)
            else:
                _it_seek_prev(it, stop, len(stop))
                if _it_valid(it) and _c.string_at(_it_key(it, _c.byref(length)), length.value) == stop:
                    _it_prev(it)
        elif start is None:
            _it_first(it)
        else:
            _it_seek(it, start, len(start))
        while _it_valid(it):
            key = _c.string_at(_it_key(it, _c.byref(length)), length.value)
            if reverse and start is not None and key < start:
                break
            if not reverse and stop is not None and key >= stop:
                break
            value = _c.string_at(_it_value(it, _c.byref(length)), length.value)
            yield key, value
            if reverse:
                _it_prev(it)
            else:
                _it_next(it)
        _call(_it_status, it)
    finally:
        _it_destroy(it)


class Batch:
    """Puts and deletes applied atomically by DB.write_batch (or on leaving
    ``with db.batch() as b:`` without an exception)."""

    def __init__(self, db=None):
        self._handle = _batch_create()
        self._db = db

    def put(self, key, value, space=None):
        key, value = _bytes(key), _bytes(value, "value")
        if space is None:
            _batch_put(self._handle, key, len(key), value, len(value))
        else:
            _batch_space_put(self._handle, space._live(), key, len(key), value, len(value))

    def delete(self, key, space=None):
        key = _bytes(key)
        if space is None:
            _batch_delete(self._handle, key, len(key))
        else:
            _batch_space_delete(self._handle, space._live(), key, len(key))

    def __len__(self):
        return _batch_count(self._handle)

    def __enter__(self):
        return self

    def __exit__(self, kind, value, traceback):
        if kind is None and self._db is not None:
            self._db.write_batch(self)
        return False

    def __del__(self):
        if getattr(self, "_handle", None):
            _batch_destroy(self._handle)
            self._handle = None


class _Reads:
    """Reading calls shared by DB, Space, Snapshot and Transaction. Where a
    space= argument is taken, None is the default key space."""

    def _read(self, key, space):
        if space is None:
            return _fetch(self._get_fn, self._live(), key)
        return _fetch(self._space_get_fn, self._live(), key, space)

    def get(self, key, default=None, space=None):
        """The value of key, or default if absent."""
        value = self._read(key, space)
        return default if value is None else value

    def __getitem__(self, key):
        value = self._read(key, None)
        if value is None:
            raise KeyError(key)
        return value

    def __contains__(self, key):
        return self._read(key, None) is not None

    def items(self, start=None, stop=None, prefix=None, reverse=False, space=None):
        """(key, value) pairs in key order over [start, stop), or of the
        keys that start with prefix; descending with reverse."""
        handle = self._live()
        if space is None:
            make = lambda: self._iter_fn(handle)
        else:
            space_handle = space._live()
            make = lambda: self._space_iter_fn(handle, space_handle)
        return _iterate((self, space), make, start, stop, prefix, reverse)

    def keys(self, start=None, stop=None, prefix=None, reverse=False, space=None):
        return (k for k, _ in self.items(start, stop, prefix, reverse, space))

    def values(self, start=None, stop=None, prefix=None, reverse=False, space=None):
        return (v for _, v in self.items(start, stop, prefix, reverse, space))

    def __iter__(self):
        return self.keys()

    def __len__(self):
        """The number of keys (counted by a scan)."""
        return sum(1 for _ in self.items())


class Snapshot(_Reads):
    """A read transaction: a consistent view of the last commit when it
    began, never blocked by writers. End it with end() or a with block."""
    _get_fn = staticmethod(_read_get)
    _iter_fn = staticmethod(_it_read)
    _space_get_fn = staticmethod(_read_space_get)
    _space_iter_fn = staticmethod(_read_space_iterator)

    def __init__(self, db):
        self._handle = None
        self._db = db
        self._handle = _begin_read(db._live())

    def _live(self):
        if not self._handle:
            raise FailedPreconditionError("the snapshot has ended")
        return self._handle

    def end(self):
        if self._handle:
            _read_end(self._handle)
            self._handle = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.end()
        return False

    def __del__(self):
        self.end()


class Transaction(_Reads):
    """A write transaction (one at a time per database): sees its own
    writes; commit() applies them atomically, abort() discards them. As a
    context manager it commits on a clean exit and aborts on an exception."""
    _get_fn = staticmethod(_txn_get)
    _iter_fn = staticmethod(_it_write)
    _space_get_fn = staticmethod(_txn_space_get)
    _space_iter_fn = staticmethod(_txn_space_iterator)

    def __init__(self, db, wait=True, sync=None):
        self._handle = None
        self._db = db
        self._sync = sync
        handle = _c.c_void_p()
        _call(_begin_write, db._live(), 1 if wait else 0, _c.byref(handle))
        self._handle = handle.value

    def _live(self):
        if not self._handle:
            raise FailedPreconditionError("the transaction has ended")
        return self._handle

    def put(self, key, value, space=None):
        key, value = _bytes(key), _bytes(value, "value")
        if space is None:
            _call(_txn_put, self._live(), key, len(key), value, len(value))
        else:
            _call(_txn_space_put, self._live(), space._live(), key, len(key), value, len(value))

    def __setitem__(self, key, value):
        self.put(key, value)

    def delete(self, key, space=None):
        key = _bytes(key)
        if space is None:
            _call(_txn_delete, self._live(), key, len(key))
        else:
            _call(_txn_space_delete, self._live(), space._live(), key, len(key))

    def __delitem__(self, key):
        self.delete(key)

    def commit(self):
        handle, self._handle = self._live(), None
        _call(_txn_commit, handle, -1 if self._sync is None else int(bool(self._sync)))

    def abort(self):
        if self._handle:
            _txn_abort(self._handle)
            self._handle = None

    def __enter__(self):
        return self

    def __exit__(self, kind, value, traceback):
        if kind is None and self._handle:
            self.commit()
        else:
            self.abort()
        return False

    def __del__(self):
        self.abort()


class Space(_Reads):
    """A named key space of a database (DB.space): a separate, ordered set
    of keys, read and written like the DB itself (space[key] = value,
    space.items(prefix=...)); pass it as space= to a transaction, a
    snapshot or a batch to work in it there."""

    def __init__(self, db, handle, name):
        self._db = db
        self._handle = handle
        self.name = name

    def _live(self):
        self._db._live()
        if not self._handle:
            raise FailedPreconditionError(f"key space {self.name} is closed")
        return self._handle

    def _read(self, key, space):
        return _fetch(_space_get, self._db._live(), key, space or self)

    def items(self, start=None, stop=None, prefix=None, reverse=False, space=None):
        db, mine = self._db._live(), self._live()
        return _iterate((self, self._db), lambda: _space_iterator(db, mine), start, stop,
                        prefix, reverse)

    def put(self, key, value):
        key, value = _bytes(key), _bytes(value, "value")
        _call(_space_put, self._db._live(), self._live(), key, len(key), value, len(value))

    def __setitem__(self, key, value):
        self.put(key, value)

    def delete(self, key):
        key = _bytes(key)
        _call(_space_delete, self._db._live(), self._live(), key, len(key))

    def __delitem__(self, key):
        if key not in self:
            raise KeyError(key)
        self.delete(key)

    def __del__(self):
        if getattr(self, "_handle", None):
            _space_destroy(self._handle)
            self._handle = None


class DB(_Reads):
    """An open database (see open()). Safe to share between threads."""
    _get_fn = staticmethod(_get)
    _iter_fn = staticmethod(_it_create)
    _space_get_fn = staticmethod(_space_get)
    _space_iter_fn = staticmethod(_space_iterator)

    def space(self, name, create=True):
        """The named key space name (created if missing, unless create is
        False: then NotFoundError)."""
        handle = _c.c_void_p()
        encoded = name.encode() if isinstance(name, str) else _bytes(name, "name")
        err = _c.c_void_p()
        code = _space_open(self._live(), encoded, _c.byref(handle), _c.byref(err))
        if code == 1 and create:
            if err.value:
                _free(err.value)
            err = _c.c_void_p()
            code = _space_create(self._live(), encoded, _c.byref(handle), _c.byref(err))
        _check(code, err)
        return Space(self, handle.value, name)

    def spaces(self):
        """The names of the named key spaces, sorted."""
        names, count = _c.POINTER(_c.c_void_p)(), _size()
        _call(_space_list, self._live(), _c.byref(names), _c.byref(count))
        try:
            return [_c.string_at(names[i]).decode() for i in range(count.value)]
        finally:
            for i in range(count.value):
                _free(names[i])
            _free(_c.cast(names, _c.c_void_p))

    def drop_space(self, name):
        """Drops a key space and all its keys."""
        encoded = name.encode() if isinstance(name, str) else _bytes(name, "name")
        _call(_space_drop, self._live(), encoded)

    def __init__(self, path, **options):
        opts = _opts_create()
        try:
            for name, value in options.items():
                if name not in _OPTION_SETTERS:
                    raise TypeError(f"unknown option {name!r} (known: {', '.join(_OPTION_SETTERS)})")
                if name == "disk_manager":
                    value = _DISK_MANAGERS[value]
                elif name == "durability":
                    value = _DURABILITIES[value]
                _OPTION_SETTERS[name](opts, int(value))
            handle = _c.c_void_p()
            _call(_open, opts, os.fsencode(path), _c.byref(handle))
            self._handle = handle.value
        finally:
            _opts_destroy(opts)
        self.path = os.fspath(path)

    def _live(self):
        if not getattr(self, "_handle", None):
            raise FailedPreconditionError(f"database {self.path} is closed")
        return self._handle

    def put(self, key, value, sync=None):
        """Stores value under key (one commit). sync: True durable before
        returning, False handed to the OS, None as the database says."""
        if sync is None:
            key, value = _bytes(key), _bytes(value, "value")
            _call(_put, self._live(), key, len(key), value, len(value))
        else:
            with self.batch(sync=sync) as b:
                b.put(key, value)

    def __setitem__(self, key, value):
        self.put(key, value)

    def delete(self, key):
        """Removes key (a missing key is not an error)."""
        key = _bytes(key)
        _call(_delete, self._live(), key, len(key))

    def __delitem__(self, key):
        if key not in self:
            raise KeyError(key)
        self.delete(key)

    def batch(self, sync=None):
        """A Batch, written atomically on leaving its with block."""
        b = Batch(self)
        b._sync = sync
        return b

    def write_batch(self, batch, sync=None):
        if sync is None:
            sync = getattr(batch, "_sync", None)
        _call(_write, self._live(), batch._handle, -1 if sync is None else int(bool(sync)))

    def read(self):
        """A Snapshot of the latest commit (use it in a with block)."""
        return Snapshot(self)

    def write(self, wait=True, sync=None):
        """A Transaction (use it in a with block: commits on a clean exit)."""
        return Transaction(self, wait, sync)

    def sync(self):
        _call(_sync, self._live())

    def checkpoint(self):
        _call(_checkpoint, self._live())

    def compact(self):
        _call(_compact, self._live())

    def backup(self, dest, compact=False):
        """A consistent copy of the latest commit in a new directory."""
        _call(_backup, self._live(), os.fsencode(dest), int(bool(compact)))

    def stats(self):
        """Counters and sizes: three lines of name=value pairs."""
        raw = _stats(self._live())
        try:
            return _c.string_at(raw).decode()
        finally:
            _free(raw)

    def close(self):
        """Checkpoints and closes; FailedPreconditionError while snapshots,
        transactions or iterators of it are still open."""
        if getattr(self, "_handle", None):
            _call(_close, self._handle)
            self._handle = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def __del__(self):
        try:
            self.close()
        except LauraError:
            pass


def open(path, **options):
    """Opens (creating by default) the database directory at path.

    Options: create_if_missing, error_if_exists, read_only (bool);
    disk_manager ("mmap" or "pread"); durability ("sync": each commit
    synced, the default; "timer"; "none"); cache_size, page_size (bytes);
    lock_timeout_ms. Returns a DB, also a context manager."""
    return DB(path, **options)
