"""examples/python/train_and_explain.py runs end to end (tiny settings)."""

import os
import subprocess
import sys

EXAMPLE = os.path.join(os.path.dirname(__file__), "..", "..", "examples", "python",
                       "train_and_explain.py")


def test_train_and_explain(tmp_path):
    out = tmp_path / "cam.png"
    result = subprocess.run(
        [sys.executable, EXAMPLE, "--maps", "200", "--epochs", "1", "--out", str(out),
         "--model", str(tmp_path / "m.wdcm")],
        capture_output=True, text=True, env=dict(os.environ), timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "exact match" in result.stdout
    assert (tmp_path / "m.wdcm").exists()
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        assert "matplotlib is not installed" in result.stdout
        assert (tmp_path / "cam.npy").exists()
    else:
        assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
