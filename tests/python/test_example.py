"""examples/python/classify_and_explain.py runs end to end: with the built-in model, and
training a tiny network."""

import os
import subprocess
import sys

EXAMPLE = os.path.join(os.path.dirname(__file__), "..", "..", "examples", "python",
                       "classify_and_explain.py")


def run_example(tmp_path, *args):
    out = tmp_path / "cam.png"
    result = subprocess.run([sys.executable, EXAMPLE, "--out", str(out), *args],
                            capture_output=True, text=True, env=dict(os.environ), timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        assert "matplotlib is not installed" in result.stdout
        assert (tmp_path / "cam.npy").exists()
    else:
        assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    return result.stdout


def test_built_in_model_by_default(tmp_path):
    stdout = run_example(tmp_path)
    assert "the built-in model" in stdout
    exact = float(stdout.split("exact match ")[1].split(",")[0])
    assert exact >= 0.6, stdout  # generated maps, a model trained on real ones: 76% on 1,000


def test_trained_here_and_from_a_file(tmp_path):
    saved = tmp_path / "m.wdcm"
    run_example(tmp_path, "--train", "--maps", "200", "--epochs", "1", "--save", str(saved))
    assert saved.exists()
    stdout = run_example(tmp_path, "--model", str(saved))
    assert "exact match" in stdout and "built-in" not in stdout
