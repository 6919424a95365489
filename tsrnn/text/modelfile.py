"""Text model files: one safetensors file, weights under torch's state_dict names plus JSON
metadata (`format`, `format_version`, `tsrnn_version`, `task`, `config`, `vocab`, `extra`).

Data, not code: nothing is unpickled. Written atomically; an existing file is replaced only with
force. Any unreadable, foreign or newer file raises ModelFileError naming the file. A classifier
saved after `quantized()` stores int8 weights with their scales (tsrnn.text.int8; `extra["int8"]`
describes them) and loads them without quantising again.
"""

from __future__ import annotations

import json
from pathlib import Path

from tsrnn._version import __version__
from tsrnn.errors import ModelFileError
from tsrnn.output import atomic_write, check_writable

FORMAT = "tsrnn-text-model"
FORMAT_VERSION = 1
TASKS = ("classify", "generate", "tag")


def save_text_model(path: str | Path, task: str, state_dict: dict, config: dict, vocab: dict,
                    extra: dict | None = None, force: bool = False) -> None:
    """Write `state_dict` (name → tensor) with its config, vocabularies (JSON-able dicts) and
    extra facts (labels, training history) to `path`."""
    from safetensors.torch import save_file

    check_writable(path, force, option="the model path")
    tensors = {k: v.detach().to("cpu").contiguous().clone() for k, v in state_dict.items()}
    meta = {
        "format": FORMAT,
        "format_version": str(FORMAT_VERSION),
        "tsrnn_version": __version__,
        "task": task,
        "config": json.dumps(config),
        "vocab": json.dumps(vocab),
        "extra": json.dumps(extra or {}),
    }
    atomic_write(path, lambda t: save_file(tensors, str(t), metadata=meta), force=force)


def load_text_model(path: str | Path, task: str) -> tuple[dict, dict, dict, dict]:
    """Read a text model file of `task` → (state_dict of CPU tensors, config, vocab, extra)."""
    import torch

    from tsrnn._container import read_container

    p = Path(path)
    if not p.exists():
        raise ModelFileError(f"{p} does not exist; train a model first (tsrnn text {task} train)")
    arrays, meta, _ = read_container(p, FORMAT, FORMAT_VERSION, noun="text model file",
                                     refit=f"train it again (tsrnn text {task} train)")
    if meta.get("task") != task:
        raise ModelFileError(f"{p} is a '{meta.get('task')}' model, not a '{task}' model; use tsrnn text {meta.get('task')}")
    try:
        config = json.loads(meta["config"])
        vocab = json.loads(meta["vocab"])
        extra = json.loads(meta.get("extra", "{}"))
    except (KeyError, json.JSONDecodeError) as e:
        raise ModelFileError(f"{p}: the model's metadata is unreadable ({e}); the file is corrupt") from None
    return {k: torch.from_numpy(v) for k, v in arrays.items()}, config, vocab, extra


def load_weights(net, tensors: dict, path: str | Path) -> None:
    """Load `tensors` into `net`, turning a shape/name mismatch into ModelFileError."""
    try:
        net.load_state_dict(tensors, strict=True)
    except RuntimeError as e:
        first = str(e).strip().splitlines()[0]
        raise ModelFileError(f"{path}: weights do not match the stored configuration ({first}); the file is corrupt") from None


def restore_estimator(cls, path: str | Path, setup, defaults: dict | None = None):
    """Rebuild a fitted text estimator of class `cls` (with a `task`) from `path`: the constructor
    from the stored config (parameters it lacks, from files written before they existed, take their
    value from `defaults`), `setup(est, vocab, extra)` restores vocabularies and labels, then the
    training history, the network and its weights. An unusable file raises ModelFileError."""
    from tsrnn.errors import ConfigError
    from tsrnn.nn.trainer import TrainHistory

    tensors, config, vocab, extra = load_text_model(path, cls.task)
    config = {**(defaults or {}), **config}
    try:
        est = cls(**config)
        setup(est, vocab, extra)
        est.history_ = TrainHistory.from_dict(extra.get("history"))
        est._validate()
        net = est._net()
    except (TypeError, KeyError, ConfigError) as e:
        raise ModelFileError(f"{path}: the stored configuration is unusable ({e}); the file is corrupt") from None
    if extra.get("int8"):  # stored int8 weights: rebuild the quantised modules, do not quantise again
        from tsrnn.text.int8 import int8_restore

        try:
            spec, embedding = extra["int8"]["spec"], bool(extra["int8"]["embedding"])
        except (KeyError, TypeError):
            raise ModelFileError(f"{path}: the int8 description is unreadable; the file is corrupt") from None
        net = int8_restore(net, tensors, spec, embedding, path)
    else:
        load_weights(net, tensors, path)
    est.net_ = net.eval()
    est.fitted_ = True
    return est
