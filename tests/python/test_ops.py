"""wdc.ops.deform_conv2d / deform_conv2d_backward against torchvision.ops.deform_conv2d."""

import numpy as np
import pytest

import wdc

torch = pytest.importorskip("torch")
torchvision = pytest.importorskip("torchvision")
from torchvision.ops import deform_conv2d as tv_deform_conv2d  # noqa: E402


def random_case(rng, dtype, with_mask, with_bias):
    groups = int(rng.integers(1, 3))
    offset_groups = int(rng.integers(1, 3))
    c = groups * offset_groups * int(rng.integers(1, 3))
    o = groups * int(rng.integers(1, 3))
    kh, kw = int(rng.integers(1, 4)), int(rng.integers(1, 4))
    sh, sw = int(rng.integers(1, 3)), int(rng.integers(1, 3))
    ph, pw = int(rng.integers(0, 3)), int(rng.integers(0, 3))
    dh, dw = int(rng.integers(1, 3)), int(rng.integers(1, 3))
    n = int(rng.integers(1, 3))
    h = int(rng.integers(max(1, dh * (kh - 1) + 1 - 2 * ph), 9))
    w = int(rng.integers(max(1, dw * (kw - 1) + 1 - 2 * pw), 9))
    ho = (h + 2 * ph - dh * (kh - 1) - 1) // sh + 1
    wo = (w + 2 * pw - dw * (kw - 1) - 1) // sw + 1
    assert ho >= 1 and wo >= 1
    k = kh * kw
    arrays = {
        "input": rng.standard_normal((n, c, h, w)),
        # Shifts of a few pixels: taps land between pixels and off the map.
        "offset": rng.uniform(-2.5, 2.5, (n, 2 * offset_groups * k, ho, wo)),
        "weight": rng.standard_normal((o, c // groups, kh, kw)),
        "bias": rng.standard_normal(o) if with_bias else None,
        "mask": rng.uniform(0, 1, (n, offset_groups * k, ho, wo)) if with_mask else None,
    }
    arrays = {key: None if a is None else a.astype(dtype) for key, a in arrays.items()}
    geometry = dict(stride=(sh, sw), padding=(ph, pw), dilation=(dh, dw))
    return arrays, geometry, groups, offset_groups, (n, o, ho, wo)


def torchvision_reference(arrays, geometry, grad_output):
    t = {k: None if a is None else torch.tensor(a, requires_grad=True) for k, a in arrays.items()}
    out = tv_deform_conv2d(t["input"], t["offset"], t["weight"], t["bias"], mask=t["mask"],
                           **geometry)
    out.backward(torch.tensor(grad_output))
    grads = {k: None if v is None else v.grad.numpy() for k, v in t.items()}
    return out.detach().numpy(), grads


def assert_close(got, want, dtype, what):
    assert got.shape == want.shape, what
    assert got.dtype == dtype, what
    scale = max(1.0, float(np.abs(want).max(initial=0)))
    if dtype == np.float32:
        np.testing.assert_allclose(got, want, rtol=2e-5, atol=5e-5 * scale, err_msg=what)
    else:
        np.testing.assert_allclose(got, want, rtol=1e-11, atol=1e-11 * scale, err_msg=what)


CASES = [(dtype, seed) for dtype in (np.float32, np.float64) for seed in range(10)]


@pytest.mark.parametrize("dtype, seed", CASES)
def test_matches_torchvision(dtype, seed):
    rng = np.random.default_rng(1000 + seed)
    arrays, geometry, groups, offset_groups, out_shape = random_case(
        rng, dtype, with_mask=seed % 2 == 0, with_bias=seed % 3 != 0)
    grad_output = rng.standard_normal(out_shape).astype(dtype)
    want_out, want_grads = torchvision_reference(arrays, geometry, grad_output)
    before = {k: None if a is None else a.copy() for k, a in arrays.items()}

    out = wdc.ops.deform_conv2d(**arrays, **geometry, groups=groups, offset_groups=offset_groups)
    assert_close(out, want_out, dtype, f"forward {geometry}")
    # groups / offset_groups inferred from the shapes, as torchvision does.
    np.testing.assert_array_equal(wdc.ops.deform_conv2d(**arrays, **geometry), out)

    grads = wdc.ops.deform_conv2d_backward(grad_output, **arrays, **geometry, groups=groups,
                                           offset_groups=offset_groups)
    assert set(grads) == {"input", "offset", "weight", "bias", "mask"}
    for key, want in want_grads.items():
        if want is None:
            assert grads[key] is None, key
        else:
            assert_close(grads[key], want, dtype, f"grad {key} {geometry}")
    # The inputs are wrapped without a copy: they must come back untouched.
    for key, a in arrays.items():
        if a is not None:
            np.testing.assert_array_equal(a, before[key])


def test_int_and_pair_arguments_agree():
    rng = np.random.default_rng(5)
    x = rng.standard_normal((1, 2, 7, 6)).astype(np.float32)
    w = rng.standard_normal((3, 2, 3, 3)).astype(np.float32)
    off = rng.standard_normal((1, 18, 4, 3)).astype(np.float32)
    a = wdc.ops.deform_conv2d(x, off, w, stride=2, padding=1, dilation=1)
    b = wdc.ops.deform_conv2d(x, off, w, stride=(2, 2), padding=[1, 1], dilation=(1, 1))
    np.testing.assert_array_equal(a, b)
    assert a.shape == (1, 3, 4, 3)


def test_non_contiguous_and_mixed_dtypes():
    rng = np.random.default_rng(6)
    x = rng.standard_normal((2, 3, 6, 5))
    w = rng.standard_normal((4, 3, 3, 3))
    off = rng.standard_normal((2, 18, 4, 3))
    want = wdc.ops.deform_conv2d(x, off, w)
    xf = np.asfortranarray(x)
    big = np.zeros((2, 36, 4, 3))
    big[:, ::2] = off
    strided = big[:, ::2]  # a non-contiguous view equal to off
    assert not strided.flags.c_contiguous
    np.testing.assert_array_equal(wdc.ops.deform_conv2d(xf, strided, w), want)
    np.testing.assert_array_equal(wdc.ops.deform_conv2d(x.tolist(), off, w), want)
    # float32 input: the other arrays are converted to float32.
    got32 = wdc.ops.deform_conv2d(x.astype(np.float32), off, w)
    assert got32.dtype == np.float32
    np.testing.assert_allclose(got32, want, rtol=1e-4, atol=1e-4)


def test_zero_offsets_equal_a_plain_convolution():
    rng = np.random.default_rng(7)
    x = rng.standard_normal((1, 2, 5, 5))
    w = rng.standard_normal((2, 2, 3, 3))
    b = rng.standard_normal(2)
    out = wdc.ops.deform_conv2d(x, np.zeros((1, 18, 3, 3)), w, b)
    want = torch.nn.functional.conv2d(torch.tensor(x), torch.tensor(w), torch.tensor(b)).numpy()
    np.testing.assert_allclose(out, want, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize(
    "change, fragment",
    [
        (dict(input=np.zeros((1, 2, 5, 5), np.int32)), "float32 or float64"),
        (dict(input=np.zeros((2, 5, 5))), "4-D"),
        (dict(offset=np.zeros((1, 17, 3, 3))), "offset"),
        (dict(weight=np.zeros((2, 2, 3))), "weight"),
        (dict(bias=np.zeros(3)), "bias"),
        (dict(mask=np.zeros((1, 8, 3, 3))), "mask"),
        (dict(stride=0), "stride"),
        (dict(padding=-1), "padding"),
        (dict(dilation=(1, 0)), "dilation"),
        (dict(stride=(1, 2, 3)), "stride"),
        (dict(stride=1.5), "stride"),
        (dict(groups=3), "groups"),
        (dict(offset=np.zeros((1, 18, 3, 3), dtype=object)), "offset"),
    ],
)
def test_errors_name_the_argument(change, fragment):
    args = dict(input=np.zeros((1, 2, 5, 5)), offset=np.zeros((1, 18, 3, 3)),
                weight=np.zeros((2, 2, 3, 3)))
    args.update(change)
    with pytest.raises(wdc.InvalidArgument) as e:
        wdc.ops.deform_conv2d(**args)
    assert fragment in str(e.value)


def test_backward_checks_grad_output_shape():
    with pytest.raises(wdc.InvalidArgument) as e:
        wdc.ops.deform_conv2d_backward(np.zeros((1, 2, 2, 2)), np.zeros((1, 2, 5, 5)),
                                       np.zeros((1, 18, 3, 3)), np.zeros((2, 2, 3, 3)))
    assert "grad_output" in str(e.value)
