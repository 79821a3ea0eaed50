#!/usr/bin/python3
"""Converts a .wdcm model file of format version 1 (wdc 0.1: weights stored as a LibTorch
archive) into version 2 (weights in wdc's own checked layout, lib/io/weights_section.h), which
this library reads. The config, metadata and every weight are carried over unchanged.

usage: /usr/bin/python3 scripts/upgrade-model-v1.py OLD.wdcm NEW.wdcm   (needs python3-torch)
"""
import io
import os
import struct
import sys
import zlib

import torch

MAGIC = b"\x89WDCM\r\n\x1a"
TYPES = {torch.float32: 1, torch.int64: 2}


def sections(payload):
    out, at = [], 0
    while at < len(payload):
        (n,) = struct.unpack_from("<Q", payload, at)
        out.append(payload[at + 8 : at + 8 + n])
        at += 8 + n
    if len(out) != 3 or at != len(payload):
        sys.exit("not a wdc model file: expected three sections")
    return out


def encode_weights(state):
    out = [struct.pack("<Q", len(state))]
    for name, tensor in state.items():
        t = tensor.detach().cpu().contiguous()
        if t.dtype not in TYPES:
            sys.exit(f"{name}: unsupported tensor type {t.dtype}")
        data = t.numpy().tobytes()
        key = name.encode()
        out.append(struct.pack("<I", len(key)) + key + struct.pack("<BB", TYPES[t.dtype], t.dim()))
        out.append(struct.pack(f"<{t.dim()}q", *t.shape) + struct.pack("<Q", len(data)) + data)
    return b"".join(out)


def main(old_path, new_path):
    data = open(old_path, "rb").read()
    if data[:8] != MAGIC:
        sys.exit(f"{old_path}: not a wdc model file")
    version, crc, length = struct.unpack_from("<IIQ", data, 8)
    if version != 1:
        sys.exit(f"{old_path}: format version {version}, not 1")
    payload = data[24:]
    if len(payload) != length or zlib.crc32(payload) != crc:
        sys.exit(f"{old_path}: truncated or corrupted")
    config, metadata, weights = sections(payload)
    state = torch.jit.load(io.BytesIO(weights), map_location="cpu").state_dict()
    parts = [config, metadata, encode_weights(state)]
    payload = b"".join(struct.pack("<Q", len(p)) + p for p in parts)
    header = MAGIC + struct.pack("<IIQ", 2, zlib.crc32(payload), len(payload))
    temp = new_path + ".tmp-upgrade"
    with open(temp, "wb") as f:
        f.write(header + payload)
        f.flush()
        os.fsync(f.fileno())
    os.replace(temp, new_path)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
