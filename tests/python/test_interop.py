"""wdc next to Debian's torch / torchvision in one process (they share libtorch)."""

import os
import subprocess
import sys

import pytest

pytest.importorskip("torch")
pytest.importorskip("torchvision")

SCRIPT = """
import numpy as np
{first}
{second}
maps, labels = wdc.synth(4, seed=1)
m = wdc.Model.create({{"blocks": [{{"channels": 4, "stride": 2}}]}})
assert m.predict(maps).shape == (4, 8)
x = torch.randn(1, 2, 5, 5, dtype=torch.float64)
w = torch.randn(3, 2, 3, 3, dtype=torch.float64)
off = torch.randn(1, 18, 3, 3, dtype=torch.float64)
want = torchvision.ops.deform_conv2d(x, off, w).numpy()
got = wdc.ops.deform_conv2d(x.numpy(), off.numpy(), w.numpy())
assert np.allclose(got, want, rtol=1e-12, atol=1e-12)
print("ok")
"""


@pytest.mark.parametrize("torch_first", [True, False])
def test_import_order(torch_first):
    torch_import = "import torch, torchvision"
    wdc_import = "import wdc"
    first, second = (torch_import, wdc_import) if torch_first else (wdc_import, torch_import)
    result = subprocess.run([sys.executable, "-c", SCRIPT.format(first=first, second=second)],
                            capture_output=True, text=True, env=dict(os.environ), timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"
