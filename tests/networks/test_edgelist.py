"""The edge-list loader (normsim.networks.edgelist): formats, numbering, labels, bad files."""

import bz2
import gzip
import lzma
import random
import subprocess
import sys

import numpy as np
import pytest

from normsim.errors import NormsimError
from normsim.networks import adjacency, edgelist, node_labels, read_edgelist, spec_adjacency
from normsim.networks.edgelist import load_edgelist
from normsim.networks.spec import _finish

from support.clirun import normsim


def old_reader(path, largest):
    """The networkx path (read_edgelist, largest component, relabel)."""
    return adjacency(_finish(read_edgelist(path), largest))


def assert_same(got, want):
    for a in ("indptr", "indices", "degree"):
        np.testing.assert_array_equal(getattr(got, a), getattr(want, a))


def test_same_graph_and_numbering_as_the_networkx_reader(tmp_path):
    # integer ids (negative, sparse), text ids, repeated and reversed edges, extra
    # fields, comments, ties for the largest component: what the old reader gave
    rng = random.Random(0)
    for trial in range(250):
        n, m = rng.randint(2, 30), rng.randint(1, 40)
        text = rng.random() < 0.3
        lines = ["# comment"]
        for _ in range(m):
            a, b = rng.sample(range(n), 2)
            if rng.random() < 0.5:
                a, b = a * 7 - 20, b * 7 - 20
            fa = f"n{a}" if text and rng.random() < 0.5 else str(a)
            lines.append(f"{fa}\t{b}  1.0" if rng.random() < 0.5 else f"{fa} {b} # c")
        p = tmp_path / f"e{trial}.txt"
        p.write_text("\n".join(lines) + ("\n" if rng.random() < 0.5 else ""))
        for largest in (False, True):
            try:
                want = old_reader(p, largest)
            except NormsimError as e:
                with pytest.raises(NormsimError) as got:
                    load_edgelist(p, largest)
                assert str(got.value).split(":")[0] == str(e).split(":")[0]
                continue
            assert_same(load_edgelist(p, largest).adjacency, want)


def test_labels_map_nodes_to_the_files_ids(tmp_path):
    p = tmp_path / "e.txt"
    p.write_text("1000 7\n7 -3\n-3 1000\n50 60\n")
    g = load_edgelist(p)
    assert list(g.labels) == [-3, 7, 50, 60, 1000] and g.labels.dtype == np.int64
    for i in range(g.adjacency.n):  # every edge of the file, through the labels
        for j in g.adjacency.neighbors(i):
            pair = {int(g.labels[i]), int(g.labels[j])}
            assert pair in ({1000, 7}, {7, -3}, {-3, 1000}, {50, 60})
    big = load_edgelist(p, largest_component=True)
    assert list(big.labels) == [-3, 7, 1000]
    spec = {"kind": "edgelist", "path": "e.txt", "largest_component": True}
    assert list(node_labels(spec, base_dir=tmp_path)) == [-3, 7, 1000]
    t = tmp_path / "t.txt"
    t.write_text("alice bob\nbob 3\n3 alice\n")
    assert list(load_edgelist(t).labels) == ["3", "alice", "bob"]


@pytest.mark.parametrize("fmt", ["tabs", "commas", "crlf", "gzip", "bz2", "xz", "percent"])
def test_formats_of_public_datasets_give_one_graph(tmp_path, fmt):
    edges = [(1, 2), (2, 3), (3, 1), (3, 40), (40, 1), (2, 1)]
    body = "".join(f"{u}\t{v}\n" for u, v in edges)
    want = load_edgelist(_write(tmp_path / "plain.txt", body.encode())).adjacency
    if fmt == "tabs":
        data = ("# FromNodeId\tToNodeId\n" + body).encode()
    elif fmt == "commas":
        data = "".join(f"{u},{v},0.5,1700000000\n" for u, v in edges).encode()
    elif fmt == "crlf":
        data = body.replace("\n", "\r\n").encode()
    elif fmt == "percent":
        data = ("% sym unweighted\n%  6 4 4\n" + body.replace("\t", " ")).encode()
    else:
        data = {"gzip": gzip.compress, "bz2": bz2.compress, "xz": lzma.compress}[fmt](body.encode())
    assert_same(load_edgelist(_write(tmp_path / f"e.{fmt}", data)).adjacency, want)


def _write(p, data):
    p.write_bytes(data)
    return p


def test_chunk_boundaries_do_not_matter(tmp_path, monkeypatch):
    rng = np.random.default_rng(1)
    u = rng.integers(0, 500, 3000)
    v = (u + rng.integers(1, 500, 3000)) % 500
    p = tmp_path / "e.txt.gz"
    p.write_bytes(gzip.compress("".join(f"{a} {b}\n" for a, b in zip(u, v, strict=True)).encode()))
    want = load_edgelist(p)
    for size in (7, 64, 1000):
        monkeypatch.setattr(edgelist, "CHUNK", size)
        got = load_edgelist(p)
        assert_same(got.adjacency, want.adjacency)
        np.testing.assert_array_equal(got.labels, want.labels)


def test_sparse_huge_ids_are_relabelled_compactly(tmp_path):
    p = tmp_path / "e.txt"
    p.write_text(f"{2**61} 5\n5 {2**40}\n{2**40} {2**61}\n")
    g = load_edgelist(p)
    assert g.adjacency.n == 3 and list(g.labels) == [5, 2**40, 2**61]


@pytest.mark.parametrize(
    "body, msg",
    [
        (b"1 2\n3\n", "e.txt:2: expected 'u v'"),
        (b"# nothing\n\n", "has no edges"),
        (b"1 2\n2 2\n", "self-loop"),
        (b"source,target\n1,2\n2,3\n", "e.txt:1: only this line has ids that are not integers"),
        (b"1 2\n99999999999999999999 3\n", "beyond 2\\*\\*62"),
        (b"1 2\n\xff\xfe 3\n", "cannot read"),
    ],
)
def test_bad_files_get_one_line(tmp_path, body, msg):
    with pytest.raises(NormsimError, match=msg):
        load_edgelist(_write(tmp_path / "e.txt", body))


def test_truncated_and_missing_files_get_one_line(tmp_path):
    full = gzip.compress(b"".join(b"%d %d\n" % (i, i + 1) for i in range(20000)))
    p = _write(tmp_path / "cut.txt.gz", full[: len(full) // 2])
    with pytest.raises(NormsimError, match="cut.txt.gz is truncated"):
        load_edgelist(p)
    bad = _write(tmp_path / "bad.gz", b"\x1f\x8b" + b"\x00" * 40)
    with pytest.raises(NormsimError, match="cannot read"):
        load_edgelist(bad)
    with pytest.raises(NormsimError, match="'.*absent.txt.gz' not found"):
        load_edgelist(tmp_path / "absent.txt.gz")


@pytest.mark.parametrize(
    "what", [pytest.param("truncated", marks=pytest.mark.slow), "missing", "text header"]
)
def test_the_cli_says_one_line_and_exits_1(tmp_path, what):
    if what == "truncated":
        full = gzip.compress(b"".join(b"%d %d\n" % (i, i + 1) for i in range(20000)))
        _write(tmp_path / "e.txt.gz", full[:3000])
    elif what == "text header":
        _write(tmp_path / "e.txt.gz", gzip.compress(b"from to\n1 2\n2 3\n"))
    sc = tmp_path / "s.yaml"
    sc.write_text(
        "name: s\npopulation: {network: {kind: edgelist, path: e.txt.gz}}\n"
        "schedule: {generations: 5}\nruns: 1\n"
    )
    if what == "truncated":  # one real process; the others in this one (tests/support/clirun.py)
        r = subprocess.run(
            [sys.executable, "-m", "normsim", "validate", str(sc)],
            capture_output=True,
            text=True,
            timeout=300,
        )
    else:
        r = normsim("validate", sc)
    assert r.returncode == 1 and "Traceback" not in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1 and "e.txt.gz" in r.stderr


def test_engine_path_reads_edge_lists_natively_unless_told(tmp_path, monkeypatch):
    p = _write(tmp_path / "e.csv", b"1,2\n2,3\n3,1\n3,4\n")
    calls = []
    real = edgelist.load_edgelist
    monkeypatch.setattr(edgelist, "load_edgelist", lambda *a, **k: calls.append(1) or real(*a, **k))
    spec = {"kind": "edgelist", "path": "e.csv"}
    a = spec_adjacency(spec, base_dir=tmp_path)
    assert calls == [1]
    p.write_bytes(b"1 2\n2 3\n3 1\n3 4\n")  # the networkx reader splits on blanks only
    b = spec_adjacency({**spec, "generator": "networkx"}, base_dir=tmp_path)
    assert calls == [1]
    assert_same(a, b)
