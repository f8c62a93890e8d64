"""The Python package (python/laura) over the C API, run by pytest from the
test command (ctest: PythonTest, with LAURA_LIBRARY set to the build's
liblaura.so)."""
import threading

import pytest

import laura


@pytest.fixture
def db(tmp_path):
    with laura.open(tmp_path / "db", durability="none") as d:
        yield d


def test_bytes_in_bytes_out_and_mapping_access(db):
    db.put(b"a", b"1")
    db[b"b\x00"] = bytearray(b"\x00\xff")
    assert db.get(b"a") == b"1"
    assert db[b"b\x00"] == b"\x00\xff"
    assert db.get(b"missing") is None
    assert db.get(b"missing", b"default") == b"default"
    with pytest.raises(KeyError):
        db[b"missing"]
    assert b"a" in db and b"missing" not in db
    assert len(db) == 2
    del db[b"a"]
    assert b"a" not in db
    with pytest.raises(KeyError):
        del db[b"a"]
    db.delete(b"a")  # deleting a missing key is not an error
    with pytest.raises(TypeError):
        db.put("text", b"v")


def test_errors_are_exceptions(tmp_path, db):
    with pytest.raises(laura.InvalidArgumentError, match="key"):
        db.put(b"k" * 5000, b"v")
    with pytest.raises(laura.NotFoundError, match="does not exist"):
        laura.open(tmp_path / "nothing", create_if_missing=False)
    with pytest.raises(laura.FailedPreconditionError, match="locked by another process"):
        laura.open(db.path)  # a second writer
    with pytest.raises(TypeError, match="unknown option"):
        laura.open(tmp_path / "x", colour="blue")


def test_write_transactions_commit_on_success_and_abort_on_exception(db):
    with db.write() as txn:
        txn.put(b"x", b"1")
        txn[b"y"] = b"2"
        assert txn.get(b"x") == b"1"  # its own writes
        assert db.get(b"x") is None  # not committed yet
    assert db[b"x"] == b"1" and db[b"y"] == b"2"
    with pytest.raises(RuntimeError):
        with db.write() as txn:
            txn.delete(b"x")
            raise RuntimeError("boom")
    assert db[b"x"] == b"1"  # aborted
    with db.write() as txn:
        with pytest.raises(laura.FailedPreconditionError):
            db.write(wait=False)  # one writer at a time


def test_batches_apply_whole(db):
    with db.batch() as b:
        for i in range(100):
            b.put(b"k%03d" % i, b"v%d" % i)
        b.delete(b"k050")
        assert len(b) == 101
    assert len(db) == 99
    assert db[b"k099"] == b"v99"


def test_snapshots_and_ranges(db):
    for i in range(20):
        db.put(b"r%02d" % i, b"%d" % i)
    db.put(b"s", b"other")
    with db.read() as snap:
        db.put(b"r00", b"changed")
        assert snap[b"r00"] == b"0"  # the snapshot stays as taken
        keys = list(snap.keys(prefix=b"r"))
        assert keys == [b"r%02d" % i for i in range(20)]
        assert list(snap.keys(start=b"r05", stop=b"r08")) == [b"r05", b"r06", b"r07"]
        assert list(snap.keys(start=b"r05", stop=b"r08", reverse=True)) == [b"r07", b"r06", b"r05"]
        assert [v for _, v in snap.items(prefix=b"r1", reverse=True)][:2] == [b"19", b"18"]
    assert db[b"r00"] == b"changed"
    assert list(db.keys(prefix=b"\xff")) == []
    assert list(db.values(prefix=b"s")) == [b"other"]


def test_close_refuses_while_a_snapshot_is_open(tmp_path):
    d = laura.open(tmp_path / "db")
    d.put(b"k", b"v")
    snap = d.read()
    with pytest.raises(laura.FailedPreconditionError):
        d.close()
    snap.end()
    d.close()
    with pytest.raises(laura.FailedPreconditionError, match="closed"):
        d.get(b"k")
    with laura.open(tmp_path / "db", read_only=True) as ro:
        assert ro[b"k"] == b"v"
        with pytest.raises(laura.FailedPreconditionError, match="read-only"):
            ro.put(b"k", b"w")


def test_maintenance_and_backup(tmp_path, db):
    for i in range(1000):
        db.put(b"%05d" % i, b"x" * 100)
    db.checkpoint()
    db.compact()
    db.backup(tmp_path / "copy", compact=True)
    assert "commits=" in db.stats()
    with laura.open(tmp_path / "copy", read_only=True) as copy:
        assert len(copy) == 1000


def test_threads_share_a_database(db):
    errors = []

    def work(t):
        try:
            for i in range(200):
                db.put(b"t%d-%03d" % (t, i), b"v")
                assert db.get(b"t%d-%03d" % (t, i)) == b"v"
        except Exception as e:  # reported below
            errors.append(e)

    threads = [threading.Thread(target=work, args=(t,)) for t in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert errors == []
    assert len(db) == 800


def test_version():
    assert laura.version().count(".") == 2


def test_key_spaces(db):
    users = db.space("users")  # created
    orders = db.space("orders")
    with pytest.raises(laura.NotFoundError):
        db.space("nobody", create=False)
    users[b"k"] = b"in users"
    db[b"k"] = b"in default"
    assert users[b"k"] == b"in users" and db[b"k"] == b"in default"
    assert b"k" not in orders
    with db.write() as txn:  # one commit over two spaces
        txn.put(b"o1", b"order", space=orders)
        txn.delete(b"k", space=users)
        assert txn.get(b"o1", space=orders) == b"order"
    assert b"k" not in users and orders[b"o1"] == b"order"
    with db.batch() as b:
        b.put(b"u1", b"1", space=users)
        b.put(b"u2", b"2", space=users)
    with db.read() as snap:
        assert list(snap.keys(space=users)) == [b"u1", b"u2"]
        assert snap.get(b"o1", space=orders) == b"order"
    assert list(users.items(prefix=b"u", reverse=True)) == [(b"u2", b"2"), (b"u1", b"1")]
    assert len(users) == 2 and list(db.keys()) == [b"k"]
    assert db.spaces() == ["orders", "users"]
    db.drop_space("users")
    assert db.spaces() == ["orders"]
    with pytest.raises(laura.FailedPreconditionError):
        users.get(b"u1")
