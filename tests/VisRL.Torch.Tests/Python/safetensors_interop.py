"""The Python side of the safetensors interop tests.

  read PATH   parse a safetensors file and print {"metadata", "tensors": {name: {dtype, shape, values}}}
  write PATH  write a file of known tensors and print the same JSON description of them

Uses the safetensors package when installed, else parses/writes the format with json, struct and
torch.frombuffer (the format is an 8-byte little-endian header length, a JSON header, raw data).
"""
import json
import math
import struct
import sys

import torch

DTYPES = {"F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16, "F64": torch.float64,
          "I64": torch.int64, "I32": torch.int32, "I8": torch.int8, "U8": torch.uint8, "BOOL": torch.bool}
NAMES = {v: k for k, v in DTYPES.items()}

try:
    import safetensors.torch as st  # noqa: F401
except ImportError:
    st = None


def read(path):
    if st is not None:
        from safetensors import safe_open
        with safe_open(path, framework="pt") as f:
            return f.metadata() or {}, {k: f.get_tensor(k) for k in f.keys()}
    with open(path, "rb") as f:
        (n,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(n))
        data = f.read()
    metadata = header.pop("__metadata__", {})
    tensors = {}
    for name, info in header.items():
        begin, end = info["data_offsets"]
        dtype = DTYPES[info["dtype"]]
        if end > begin:
            t = torch.frombuffer(bytearray(data[begin:end]), dtype=dtype).reshape(info["shape"])
        else:
            t = torch.empty(info["shape"], dtype=dtype)
        tensors[name] = t
    return metadata, tensors


def write(path, tensors, metadata):
    if st is not None:
        st.save_file(tensors, path, metadata=metadata)
        return
    header, chunks, offset = {"__metadata__": metadata}, [], 0
    for name in sorted(tensors):
        t = tensors[name].contiguous()
        raw = bytes(t.reshape(-1).view(torch.uint8).numpy()) if t.numel() else b""
        header[name] = {"dtype": NAMES[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(raw)]}
        chunks.append(raw)
        offset += len(raw)
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for raw in chunks:
            f.write(raw)


def describe(metadata, tensors):
    out = {}
    for name, t in tensors.items():
        out[name] = {"dtype": NAMES[t.dtype], "shape": list(t.shape),
                     "values": [float(v) for v in t.reshape(-1).double().tolist()]}
    return {"metadata": metadata, "tensors": out, "package": st is not None}


def known_tensors():
    n = torch.arange(24, dtype=torch.float64)
    return {
        "model.weight": torch.sin(n * 0.731).float().reshape(2, 3, 4),
        "model.half": (torch.cos(n[:6] * 1.3) * 100).half().reshape(3, 2),
        "model.bf16": (torch.sin(n[:8] * 0.5) * 7).bfloat16(),
        "tokens": torch.tensor([[5, -3, 2**40], [0, 1, 7]], dtype=torch.int64),
        "mask": torch.tensor([True, False, True, True]),
        "scalar": torch.tensor(3.25),
    }


if __name__ == "__main__":
    mode, path = sys.argv[1], sys.argv[2]
    if mode == "read":
        print(json.dumps(describe(*read(path))))
    elif mode == "write":
        tensors = known_tensors()
        metadata = {"format": "pt", "written_by": "python"}
        write(path, tensors, metadata)
        print(json.dumps(describe(metadata, tensors)))
    else:
        raise SystemExit(f"unknown mode {mode}")
