"""Seeded mutation fuzzing of tsrnn's model files (forecaster, anomaly detector, text classifier).

Every mutated file must either load (and then predict finite numbers or raise a project error) or
be refused with tsrnn.errors.ModelFileError; any other exception, a payload that ran, or memory
growing past --max-rss-mb is a failure. Failures are written to --out (default
tests/fuzz_corpus/modelfile/new/) with the mutation that made them, to become regression cases.

    python scripts/fuzz_modelfile.py --examples 5000 --seed 1        # the longer run (not in CI)

tests/test_fuzz_modelfile.py runs a few hundred examples of the same mutations in CI and replays
the corpus in tests/fuzz_corpus/modelfile/.

Mutations: truncation; random bit flips anywhere, in the JSON header only, or in the tensor data
only; a JSON metadata leaf replaced by a hostile value (null, 0, -1, 1e9, 2**63, NaN, "bogus", [],
{}, a deep nest, ...), with the digest recomputed so the field checks (not the digest) must catch
it; a tensor dropped, added, reshaped or given another dtype (digest recomputed); the safetensors
header's own fields edited (shape, dtype, offsets, header length); a pickle or a torch.save file in
the model file's place.
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import resource
import struct
import sys
import time
import traceback
from pathlib import Path

import numpy as np

HOSTILE = [
    None,
    0,
    -1,
    1,
    2,
    1e9,
    10**9,
    2**63,
    -(2**63),
    1e308,
    float("nan"),
    float("inf"),
    0.5,
    True,
    False,
    "",
    "bogus",
    "h",
    "x" * 300,
    [],
    [0],
    [[1.0]],
    {},
    {"a": 1},
    [[[[[[[]]]]]]],
]
SENTINEL = "TSRNN_FUZZ_PAYLOAD_RAN"


class Payload:
    """Unpickling this would create the sentinel file: proof that code ran."""

    def __init__(self, path: str):
        self.path = path

    def __reduce__(self):
        return (open, (self.path, "w"))


# -- base files --


def make_bases(folder: Path) -> dict[str, Path]:
    """Small valid files of each kind (seeded)."""
    import pandas as pd

    from tsrnn import Forecaster
    from tsrnn.anomaly.detector import AnomalyDetector
    from tsrnn.text.classifier import TextClassifier

    folder.mkdir(parents=True, exist_ok=True)
    t = np.arange(120)
    df = pd.DataFrame(
        {
            "unique_id": np.repeat(["a", "b"], 120),
            "ds": np.tile(pd.date_range("2024-01-01", periods=120, freq="h"), 2),
            "y": np.concatenate([10 + np.sin(2 * np.pi * t / 24), 3 + np.cos(2 * np.pi * t / 24)]),
        }
    )
    out = {
        "forecaster": folder / "forecaster.tsrnn",
        "detector": folder / "detector.tsrnn",
        "text": folder / "text.tsrnn",
    }
    Forecaster(
        model="lstm",
        horizon=2,
        input_len=12,
        hidden=4,
        layers=1,
        epochs=1,
        quiet=True,
        device="cpu",
        embedding=1,
    ).fit(df).save(out["forecaster"])
    AnomalyDetector(scorer="forecast:epochs=1,hidden=4,window=8").fit(df).save(out["detector"])
    texts = ["a great film", "great fun", "a dull mess", "boring and dull"]
    TextClassifier(embed=4, hidden=3, epochs=1, min_freq=1, device="cpu").fit(
        texts, ["pos", "pos", "neg", "neg"]
    ).save(out["text"])
    return out


# -- loading: the oracle --


def load_and_use(kind: str, path: Path) -> str:
    """'refused' (ModelFileError), 'loaded' (and used without error), or 'project-error' (a
    TsrnnError other than ModelFileError while using a loaded model). Anything else propagates."""
    import pandas as pd

    from tsrnn.errors import ModelFileError, TsrnnError

    try:
        if kind == "forecaster":
            from tsrnn import Forecaster

            for backend in ("torch", "numba"):
                est = Forecaster.load(path, backend=backend)
                try:
                    y = est.predict()["yhat"].to_numpy()
                except TsrnnError:
                    return "project-error"
                if not np.all(np.isfinite(y)):
                    raise AssertionError(
                        f"a loaded forecaster predicted non-finite values ({backend})"
                    )
        elif kind == "detector":
            from tsrnn.anomaly.detector import AnomalyDetector

            det = AnomalyDetector.load(path)
            t = np.arange(60)
            df = pd.DataFrame(
                {
                    "unique_id": "a",
                    "ds": pd.date_range("2024-01-06", periods=60, freq="h"),
                    "y": 10 + np.sin(2 * np.pi * t / 24),
                }
            )
            try:
                s = det.score(df)
            except TsrnnError:
                return "project-error"
            if np.any(np.isinf(s)):
                raise AssertionError("a loaded detector gave infinite scores")
        else:
            from tsrnn.text.classifier import TextClassifier

            clf = TextClassifier.load(path)
            try:
                clf.predict(["a great mess"])
            except TsrnnError:
                return "project-error"
    except ModelFileError as e:
        if "\n" in str(e):
            raise AssertionError(f"a ModelFileError of several lines: {e!r}") from None
        return "refused"
    return "loaded"


# -- mutations --


def _split(raw: bytes) -> tuple[int, dict, bytes]:
    n = struct.unpack("<Q", raw[:8])[0]
    return n, json.loads(raw[8 : 8 + n]), raw[8 + n :]


def _join(header: dict, data: bytes) -> bytes:
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)
    return struct.pack("<Q", len(h)) + h + data


def _leaves(obj, path=()):
    if isinstance(obj, dict):
        if not obj:
            yield path
        for k, v in obj.items():
            yield from _leaves(v, (*path, k))
    elif isinstance(obj, list):
        if not obj:
            yield path
        for i, v in enumerate(obj[:4]):  # the first few entries of long lists
            yield from _leaves(v, (*path, i))
    yield path


def _set(obj, path, value):
    if not path:
        return value
    obj[path[0]] = _set(obj[path[0]], path[1:], value)
    return obj


def _redigest(tensors: dict, md: dict) -> dict:
    from tsrnn._container import with_digest

    return with_digest(tensors, md) if "digest" in md else md


def _read(path: Path):
    from safetensors import safe_open

    with safe_open(str(path), framework="numpy") as f:
        return {k: f.get_tensor(k) for k in f.keys()}, dict(f.metadata())


def _write(tensors, md) -> bytes:
    from safetensors.numpy import save

    return save(tensors, metadata=md)


def mutate(raw: bytes, base: Path, rng: np.random.Generator, scratch: Path) -> tuple[str, bytes]:
    """One mutation of the file `raw` (read from `base`): (description, new bytes)."""
    op = rng.integers(12)
    n_head = struct.unpack("<Q", raw[:8])[0]
    if op == 0:
        cut = int(rng.integers(0, len(raw)))
        return f"truncate at {cut}", raw[:cut]
    if op in (1, 2, 3):
        lo, hi = {1: (0, len(raw)), 2: (8, 8 + n_head), 3: (8 + n_head, len(raw))}[int(op)]
        b = bytearray(raw)
        k = int(rng.integers(1, 4))
        pos = rng.integers(lo, max(hi, lo + 1), size=k)
        for p in pos:
            b[int(p) % len(b)] ^= 1 << int(rng.integers(8))
        where = {1: "anywhere", 2: "header", 3: "data"}[int(op)]
        return f"flip {k} bit(s) {where} at {sorted(int(p) for p in pos)}", bytes(b)
    tensors, md = _read(base)
    if op in (4, 5, 6):  # a metadata leaf → a hostile value, digest recomputed
        keys = [
            k
            for k in md
            if k not in ("format", "format_version", "digest", "tsrnn_version", "task")
        ]
        key = keys[int(rng.integers(len(keys)))]
        doc = json.loads(md[key])
        leaves = list(_leaves(doc))
        path = leaves[int(rng.integers(len(leaves)))]
        value = HOSTILE[int(rng.integers(len(HOSTILE)))]
        doc = _set(doc, path, value)
        md[key] = json.dumps(doc)
        return f"metadata {key}{list(path)} = {value!r:.40}", _write(
            tensors, _redigest(tensors, md)
        )
    if op == 7:  # tensors: drop / add / reshape / retype, digest recomputed
        names = sorted(tensors)
        name = names[int(rng.integers(len(names)))]
        how = int(rng.integers(4))
        if how == 0:
            del tensors[name]
            what = f"drop {name}"
        elif how == 1:
            tensors["extra.weight"] = np.ones((2, 2), dtype=tensors[name].dtype)
            what = "add extra.weight"
        elif how == 2:
            a = tensors[name]
            shape = tuple(int(s) + int(rng.integers(-1, 2)) for s in a.shape) or (2,)
            shape = tuple(max(s, 0) for s in shape)
            tensors[name] = np.zeros(shape, dtype=a.dtype)
            what = f"reshape {name} {a.shape} -> {shape}"
        else:
            dt = [np.float16, np.float64, np.int32, np.uint8, np.bool_][int(rng.integers(5))]
            tensors[name] = tensors[name].astype(dt)
            what = f"retype {name} -> {np.dtype(dt).name}"
        return what, _write(tensors, _redigest(tensors, md))
    if op in (8, 9):  # the safetensors header's own fields
        _, header, data = _split(raw)
        names = [k for k in header if k != "__metadata__"]
        name = names[int(rng.integers(len(names)))]
        how = int(rng.integers(4))
        entry = header[name]
        if how == 0:
            entry["shape"] = [10**6, 10**6]
            what = f"header {name} shape [1e6, 1e6]"
        elif how == 1:
            entry["dtype"] = ["F16", "I64", "BOOL", "F64", "XX"][int(rng.integers(5))]
            what = f"header {name} dtype {entry['dtype']}"
        elif how == 2:
            entry["data_offsets"] = [0, 2**40]
            what = f"header {name} offsets [0, 2**40]"
        else:
            return "header length 2**60", struct.pack("<Q", 2**60) + raw[8:]
        return what, _join(header, data)
    if op == 10:  # a pickle in the model file's place
        sentinel = scratch / SENTINEL
        return "pickle payload", pickle.dumps(Payload(str(sentinel)))
    # a torch.save file in its place (a zip with a pickle inside)
    import io

    import torch

    buf = io.BytesIO()
    torch.save({"payload": Payload(str(scratch / SENTINEL)), "w": torch.zeros(2)}, buf)
    return "torch.save file", buf.getvalue()


# -- the run --


def run(
    examples: int, seed: int, out: Path | None, work: Path, max_rss_mb: float, quiet: bool = False
) -> dict:
    """Fuzz `examples` mutations (spread over the three kinds); returns counts and failures."""
    bases = make_bases(work / "bases")
    raws = {k: p.read_bytes() for k, p in bases.items()}
    rng = np.random.default_rng(seed)
    counts: dict[str, int] = {}
    failures = []
    t0 = time.time()
    kinds = sorted(bases)
    for i in range(examples):
        kind = kinds[i % len(kinds)]
        what, data = mutate(raws[kind], bases[kind], rng, work)
        path = work / f"case-{kind}.tsrnn"
        path.write_bytes(data)
        try:
            result = load_and_use(kind, path)
        except Exception as e:  # noqa: BLE001 - the fuzzer's job is to catch anything
            result = "FAIL"
            failures.append(
                {
                    "i": i,
                    "kind": kind,
                    "mutation": what,
                    "error": f"{type(e).__name__}: {e}"[:500],
                    "trace": traceback.format_exc()[-1500:],
                }
            )
            if out is not None:
                out.mkdir(parents=True, exist_ok=True)
                (out / f"{kind}-{seed}-{i}.tsrnn").write_bytes(data)
                (out / f"{kind}-{seed}-{i}.json").write_text(json.dumps(failures[-1], indent=1))
        if (work / SENTINEL).exists():
            raise SystemExit(f"example {i} ({kind}: {what}) ran a payload")
        counts[result] = counts.get(result, 0) + 1
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        if rss > max_rss_mb:
            raise SystemExit(
                f"example {i} ({kind}: {what}): peak memory {rss:.0f} MB > {max_rss_mb:.0f} MB"
            )
        if not quiet and (i + 1) % 200 == 0:
            print(
                f"{i + 1} examples, {time.time() - t0:.0f} s, {counts}, peak {rss:.0f} MB",
                flush=True,
            )
    return {
        "examples": examples,
        "seed": seed,
        "counts": counts,
        "failures": failures,
        "seconds": round(time.time() - t0, 1),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--examples", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument(
        "--out",
        type=Path,
        default=Path(__file__).resolve().parents[1] / "tests" / "fuzz_corpus" / "modelfile" / "new",
    )
    ap.add_argument(
        "--work", type=Path, default=None, help="scratch folder (default: a temporary one)"
    )
    ap.add_argument("--max-rss-mb", type=float, default=3000)
    args = ap.parse_args(argv)
    import tempfile

    os.environ.setdefault("OMP_NUM_THREADS", "1")
    with tempfile.TemporaryDirectory() as tmp:
        res = run(args.examples, args.seed, args.out, args.work or Path(tmp), args.max_rss_mb)
    print(json.dumps({k: v for k, v in res.items() if k != "failures"}))
    for f in res["failures"]:
        print(f"FAIL {f['kind']} #{f['i']}: {f['mutation']}: {f['error']}")
    return 1 if res["failures"] else 0


if __name__ == "__main__":
    sys.exit(main())
