"""Text model files: one safetensors file, weights under torch's state_dict names plus JSON
metadata (`format`, `format_version`, `tsrnn_version`, `task`, `config`, `vocab`, `extra`).

Data, not code: nothing is unpickled. Written atomically; an existing file is replaced only with
force. Any unreadable, foreign or newer file raises ModelFileError naming the file. A classifier
saved after `quantized()` stores int8 weights with their scales (tsrnn.text.int8; `extra["int8"]`
describes them) and loads them without quantising again.

From format version 2 on the file carries ``digest`` (tsrnn._container: blake2b over the metadata
and the tensor bytes) and a mismatch is refused; format-1 files (written before it) are read
without one. Before a network is built, every size in the configuration is bounded (MAX_SIZE,
MAX_LAYERS) and, for float weights, the network is first built on torch's "meta" device (no memory)
and compared tensor by tensor with the stored ones.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

from tsrnn._container import FileKind
from tsrnn.errors import ModelFileError

FORMAT = "tsrnn-text-model"
FORMAT_VERSION = 2
DIGEST_SINCE = 2
TASKS = ("classify", "generate", "tag")
DTYPES = ("float32", "float64", "int8", "uint8", "int64")
KIND = FileKind(
    FORMAT, FORMAT_VERSION, noun="text model file", digest_since=DIGEST_SINCE, dtypes=DTYPES
)
MAX_SIZE = 16_384  # embedding and hidden sizes
MAX_LAYERS = 64
SIZE_KEYS = ("embed", "hidden", "word_embed", "char_embed", "char_hidden", "shape_embed")


def save_text_model(
    path: str | Path,
    task: str,
    state_dict: dict,
    config: dict,
    vocab: dict,
    extra: dict | None = None,
    force: bool = False,
) -> None:
    """Write `state_dict` (name → tensor) with its config, vocabularies (JSON-able dicts) and
    extra facts (labels, training history) to `path`; an existing file only with force."""
    from tsrnn._container import write_container

    arrays = {k: v.detach().to("cpu").contiguous().numpy() for k, v in state_dict.items()}
    write_container(
        path,
        KIND,
        arrays,
        {"config": config, "vocab": vocab, "extra": extra or {}},
        text_meta={"task": task},
        force=force,
    )


def load_text_model(path: str | Path, task: str) -> tuple[dict, dict, dict, dict]:
    """Read a text model file of `task` → (state_dict of CPU tensors, config, vocab, extra)."""
    import torch

    from tsrnn._container import read_file

    p = Path(path)
    if not p.exists():
        raise ModelFileError(f"{p} does not exist; train a model first (tsrnn text {task} train)")
    kind = replace(KIND, refit=f"train it again (tsrnn text {task} train)")
    arrays, meta, _ = read_file(p, kind)
    if meta.get("task") != task:
        raise ModelFileError(
            f"{p} is a '{meta.get('task')}' model, not a '{task}' model; "
            f"use tsrnn text {meta.get('task')}"
        )
    try:
        config = json.loads(meta["config"])
        vocab = json.loads(meta["vocab"])
        extra = json.loads(meta.get("extra", "{}"))
    except (KeyError, json.JSONDecodeError, RecursionError) as e:
        raise ModelFileError(
            f"{p}: the model's metadata is unreadable ({str(e)[:200]}); the file is corrupt"
        ) from None
    check_config(p, config, vocab, extra)
    return {k: torch.from_numpy(v) for k, v in arrays.items()}, config, vocab, extra


def check_config(p: Path, config, vocab, extra) -> None:
    """Bounds on what a text network is built from: config, vocab and extra are JSON objects, the
    sizes (SIZE_KEYS) whole numbers in [0, MAX_SIZE], layers in [1, MAX_LAYERS], the cell a known
    one. ModelFileError, one sentence naming the field."""
    from tsrnn._container.fields import Fields

    c = Fields(p, config, "config")
    Fields(p, vocab, "vocab")
    Fields(p, extra, "extra")
    for key in SIZE_KEYS:
        if key in c.obj:
            c.integer(key, 0, MAX_SIZE)
    if "layers" in c.obj:
        c.integer("layers", 1, MAX_LAYERS)
    if "cell" in c.obj:
        c.name("cell", ("rnn", "lstm", "gru"))


def load_weights(net, tensors: dict, path: str | Path) -> None:
    """Load `tensors` into `net`, turning a shape/name mismatch into ModelFileError."""
    try:
        net.load_state_dict(tensors, strict=True)
    except RuntimeError as e:
        first = str(e).strip().splitlines()[0]
        raise ModelFileError(
            f"{path}: weights do not match the stored configuration ({first}); the file is corrupt"
        ) from None


def restore_estimator(cls, path: str | Path, setup, defaults: dict | None = None):
    """Rebuild a fitted text estimator of class `cls` (with a `task`) from `path`: the constructor
    from the stored config (parameters it lacks, from files written before they existed, take their
    value from `defaults`), `setup(est, vocab, extra)` restores vocabularies and labels, then the
    training history, the network and its weights. An unusable file raises ModelFileError."""
    import torch

    from tsrnn._container.fields import Fields, check_params, check_state_shapes
    from tsrnn.errors import ConfigError
    from tsrnn.nn.trainer import TrainHistory

    tensors, config, vocab, extra = load_text_model(path, cls.task)
    config = {**(defaults or {}), **config}
    check_params(Fields(path, config, "config"), cls)
    try:
        est = cls(**config)
        setup(est, vocab, extra)
        est.history_ = TrainHistory.from_dict(extra.get("history"))
        est._validate()
        with torch.device("meta"):
            shell = est._net()
        if not extra.get("int8"):
            check_state_shapes(shell.state_dict(), tensors, path)
        del shell
        net = est._net()
    except (
        TypeError,
        KeyError,
        ValueError,
        AttributeError,
        IndexError,
        OverflowError,
        ConfigError,
    ) as e:
        # the setup callbacks and TrainHistory read vocabularies and extra facts of any JSON shape
        first = (str(e).strip().splitlines() or [type(e).__name__])[0][:200]
        raise ModelFileError(
            f"{path}: the stored configuration is unusable "
            f"({type(e).__name__}: {first}); the file is corrupt"
        ) from None
    if extra.get(
        "int8"
    ):  # stored int8 weights: rebuild the quantised modules, do not quantise again
        from tsrnn.text.int8 import int8_restore

        try:
            spec, embedding = extra["int8"]["spec"], bool(extra["int8"]["embedding"])
        except (KeyError, TypeError):
            raise ModelFileError(
                f"{path}: the int8 description is unreadable; the file is corrupt"
            ) from None
        net = int8_restore(net, tensors, spec, embedding, path)
    else:
        load_weights(net, tensors, path)
    est.net_ = net.eval()
    est.fitted_ = True
    return est
