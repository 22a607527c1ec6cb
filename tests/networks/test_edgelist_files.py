"""An edge list that is not a regular file (a device, a FIFO, a directory) is named so in
one line by ``validate``, ``run`` and the Python API, and nothing is written."""

import os
import re
from pathlib import Path

import pytest

from normsim.errors import NormsimError
from normsim.scenario import conditions, loads

from support.clirun import normsim_process
from support.hostile_helpers import one_line_error


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["device", "fifo", "directory"])
def test_non_regular_edge_list_is_named_so(tmp_path, kind):
    if kind == "device":
        path = Path("/dev/zero")
    elif kind == "fifo":
        path = tmp_path / "pipe"
        os.mkfifo(path)
    else:
        path = tmp_path / "adir"
        path.mkdir()
    sc = tmp_path / "s.yaml"
    sc.write_text(f"name: el\npopulation: {{network: {{kind: edgelist, path: {path}}}}}\n")
    # a device is refused as a system file (under /dev), wherever the scenario is
    what = "is a system file" if kind == "device" else "is not a regular file"
    pattern = rf"population\.network\.path: '{re.escape(str(path))}' {what}"
    one_line_error(normsim_process("validate", sc, timeout=60), pattern)
    one_line_error(normsim_process("run", sc, "--out", tmp_path / "o", timeout=60), pattern)
    assert not (tmp_path / "o").exists()
    with pytest.raises(NormsimError, match=what):
        conditions(loads(sc.read_text(), path=sc))
