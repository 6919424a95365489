"""`tsrnn text`: sentiment classification, character language model and sequence tagging.

classify train|predict|quantize|export, generate train|sample, tag train|predict. Training goes
through the same Trainer (progress on stderr, --quiet) and writes the same kind of model file (one
safetensors file, refused without --force) as the forecasters. torch is imported only inside the
commands.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from tsrnn_cli.base import app
from tsrnn_cli.common import handle_errors, refuse_given, set_threads
from tsrnn_cli.options import Force, Quiet

text_app = typer.Typer(
    help="Text tasks on the recurrent cores: classify, generate, tag.", no_args_is_help=True
)
classify_app = typer.Typer(
    help="Sentence classification (e.g. review polarity).", no_args_is_help=True
)
generate_app = typer.Typer(help="Character language model: train and sample.", no_args_is_help=True)
tag_app = typer.Typer(help="Sequence tagging (BIO entities, CoNLL files).", no_args_is_help=True)
text_app.add_typer(classify_app, name="classify")
text_app.add_typer(generate_app, name="generate")
text_app.add_typer(tag_app, name="tag")
app.add_typer(text_app, name="text")

ModelOut = Annotated[
    Path, typer.Option("--output", "-o", help="Model file to write (.tsrnn).", show_default=False)
]
ModelIn = Annotated[
    Path,
    typer.Argument(help="Model file written by the matching train command.", show_default=False),
]
Cell = Annotated[str, typer.Option("--cell", help="Recurrent cell: lstm, gru, rnn or rnn_relu.")]
Hidden = Annotated[
    int, typer.Option("--hidden", min=1, help="Hidden units per direction and layer.")
]
Layers = Annotated[int, typer.Option("--layers", min=1, help="Stacked recurrent layers.")]
Dropout = Annotated[
    float, typer.Option("--dropout", min=0.0, max=0.95, help="Dropout probability.")
]
Epochs = Annotated[
    int, typer.Option("--epochs", min=1, help="Training epochs (early stopping may end sooner).")
]
BatchSize = Annotated[int, typer.Option("--batch-size", min=1, help="Sequences per batch.")]
Lr = Annotated[float, typer.Option("--lr", min=0.0, help="AdamW learning rate.")]
Seed = Annotated[int, typer.Option("--seed", help="Random seed (split, initialisation, batches).")]
Device = Annotated[str, typer.Option("--device", help="auto, cpu or cuda.")]
Output = Annotated[Path | None, typer.Option("--output", "-o", help="Write the result here.")]


def _say(quiet: bool, msg: str) -> None:
    if not quiet:
        typer.echo(msg, err=True)


def _save(outs, path: Path, writer) -> None:
    """Write the output `path` (checked by outs.add before the work) through its temporary file."""
    with outs:
        outs.stage(path, writer)
        outs.commit()


def _threads() -> None:
    """Respect OMP_NUM_THREADS when it is set (shared machines)."""
    import os

    n = os.environ.get("OMP_NUM_THREADS", "")
    set_threads(int(n) if n.isdigit() and int(n) > 0 else None)


# -- classify ------------------------------------------------------------------------------------


@classify_app.command("train")
@handle_errors
def classify_train(
    data: Annotated[
        Path,
        typer.Argument(
            help="Folder of *.pos/*.neg files (one text a line) or a CSV/TSV with text,label.",
            show_default=False,
        ),
    ],
    output: ModelOut,
    cell: Cell = "lstm",
    embed: Annotated[int, typer.Option("--embed", min=1, help="Word embedding size.")] = 200,
    hidden: Hidden = 128,
    layers: Layers = 1,
    pooling: Annotated[
        str, typer.Option("--pooling", help="last, max, mean or attention.")
    ] = "max",
    dropout: Dropout = 0.5,
    min_freq: Annotated[
        int, typer.Option("--min-freq", min=1, help="Keep words seen at least this often.")
    ] = 2,
    epochs: Epochs = 8,
    batch_size: BatchSize = 32,
    lr: Lr = 2e-3,
    seed: Seed = 0,
    device: Device = "auto",
    force: Force = False,
    quiet: Quiet = False,
) -> None:
    """Train a classifier on DATA (seeded 80/10/10 split: train, early stopping,
    test) and save it to -o."""
    from tsrnn.output import Outputs
    from tsrnn.text.classifier import TextClassifier
    from tsrnn.text.data import read_labelled_text, split_labelled

    outs = Outputs(force)
    outs.add(output, "-o")
    tr, va, te = split_labelled(*read_labelled_text(data), seed=seed)
    _threads()
    est = TextClassifier(
        cell=cell,
        embed=embed,
        hidden=hidden,
        layers=layers,
        pooling=pooling,
        dropout=dropout,
        min_freq=min_freq,
        epochs=epochs,
        batch_size=batch_size,
        lr=lr,
        seed=seed,
        device=device,
        quiet=quiet,
    )
    _say(
        quiet,
        f"training a {cell} classifier on {len(tr[0])} texts (validation {len(va[0])}, "
        f"test {len(te[0])})",
    )
    est.fit(*tr, *va)
    acc = est.score(*te) if len(te[0]) else float("nan")
    _save(outs, output, lambda t: est.save(t, force=True))
    h = est.history_
    _say(
        quiet,
        f"wrote {output} ({len(est.vocab_)} words, {len(h.train_loss)} epochs, best at epoch "
        f"{h.best_epoch + 1}, {h.seconds:.1f} s on {est.device_})",
    )
    typer.echo(f"test accuracy {acc:.4f} ({len(te[0])} texts)")


@classify_app.command("predict")
@handle_errors
def classify_predict(
    model: ModelIn,
    file: Annotated[
        Path | None, typer.Argument(help="Text file, one text a line.", show_default=False)
    ] = None,
    text: Annotated[
        list[str] | None, typer.Option("--text", "-t", help="A text to classify (repeatable).")
    ] = None,
    int8: Annotated[
        bool, typer.Option("--int8", help="Run the dynamically int8-quantised model (CPU).")
    ] = False,
    output: Output = None,
    force: Force = False,
) -> None:
    """Label each text of FILE (or --text) with the model's classes and their probabilities."""
    from tsrnn_cli.render import table

    from tsrnn.errors import DataError
    from tsrnn.output import Outputs, frame_format, frame_writer
    from tsrnn.text.classifier import TextClassifier
    from tsrnn.text.data import read_lines

    outs = Outputs(force)
    outs.add(output, "-o", "frame")
    texts = list(text or []) + (read_lines(file) if file is not None else [])
    if not texts:
        raise DataError("nothing to classify; give a text file or --text")
    _threads()
    est = TextClassifier.load(model)
    net = None
    if int8 and est.int8_ is None:  # a model saved as int8 runs as int8 already
        from tsrnn.text.export import quantize

        net = quantize(est.net_)
    df = est.predict_frame(texts, net=net)
    if output is not None:
        _save(outs, output, frame_writer(df, frame_format(output)))
    else:
        table(df, title="predictions")


@classify_app.command("quantize")
@handle_errors
def classify_quantize(
    model: ModelIn,
    output: ModelOut,
    embedding: Annotated[
        bool, typer.Option("--embedding", help="Quantise the word embedding too (8-bit, per row).")
    ] = False,
    force: Force = False,
) -> None:
    """Save a dynamically int8-quantised copy of MODEL (int8 weights in the file; CPU inference)."""
    from tsrnn.output import Outputs
    from tsrnn.text.classifier import TextClassifier

    outs = Outputs(force)
    outs.add(output, "-o")
    _threads()
    est = TextClassifier.load(model)
    small = est.quantized(embedding=embedding)
    _save(outs, output, lambda t: small.save(t, force=True))
    typer.echo(
        f"wrote {output} ({output.stat().st_size:,} bytes; {Path(model).stat().st_size:,} before)"
    )


@classify_app.command("export")
@handle_errors
def classify_export(
    model: ModelIn,
    output: Annotated[
        Path, typer.Option("--output", "-o", help="ONNX file to write (.onnx).", show_default=False)
    ],
    force: Force = False,
) -> None:
    """Export MODEL (a float classifier) as ONNX: input ids (batch, length) int64 → logits; checks
    parity with onnxruntime when it is installed."""
    from tsrnn.errors import ConfigError
    from tsrnn.output import Outputs
    from tsrnn.text.classifier import TextClassifier
    from tsrnn.text.export import export_onnx, onnx_parity

    outs = Outputs(force)
    outs.add(output, "-o")
    _threads()
    est = TextClassifier.load(model)
    if est.int8_ is not None:
        raise ConfigError(
            f"{model} holds int8 weights, which ONNX export does not take; export the float model"
        )
    _save(outs, output, lambda tmp: export_onnx(est, tmp))
    try:
        import onnxruntime  # noqa: F401
    except ImportError:
        typer.echo(f"wrote {output}; parity not checked: onnxruntime is not installed", err=True)
        return
    diff = onnx_parity(
        est, output, ["a fine film", "not good at all", "an utterly forgettable , dull story"]
    )
    typer.echo(f"wrote {output}; onnxruntime parity: max |logit difference| {diff:.2e}")


# -- generate ------------------------------------------------------------------------------------


@generate_app.command("train")
@handle_errors
def generate_train(
    file: Annotated[
        Path, typer.Argument(help="UTF-8 text file (split 90/10 by position).", show_default=False)
    ],
    output: ModelOut,
    cell: Cell = "lstm",
    embed: Annotated[int, typer.Option("--embed", min=1, help="Character embedding size.")] = 64,
    hidden: Hidden = 256,
    layers: Layers = 2,
    dropout: Dropout = 0.1,
    seq_len: Annotated[
        int, typer.Option("--seq-len", min=1, help="Truncated BPTT window (characters).")
    ] = 128,
    batch_size: BatchSize = 64,
    epoch_chars: Annotated[
        int | None,
        typer.Option(
            "--epoch-chars", min=1, help="Training characters per epoch (default: the whole text)."
        ),
    ] = None,
    epochs: Epochs = 10,
    lr: Lr = 3e-3,
    seed: Seed = 0,
    device: Device = "auto",
    force: Force = False,
    quiet: Quiet = False,
) -> None:
    """Train a character language model on FILE with truncated BPTT and save it to -o."""
    from tsrnn.output import Outputs
    from tsrnn.text.charlm import LN2, CharLM
    from tsrnn.text.data import read_text, split_by_position

    outs = Outputs(force)
    outs.add(output, "-o")
    train, val = split_by_position(read_text(file), 0.9)
    _threads()
    est = CharLM(
        cell=cell,
        embed=embed,
        hidden=hidden,
        layers=layers,
        dropout=dropout,
        seq_len=seq_len,
        batch_size=batch_size,
        epoch_chars=epoch_chars,
        epochs=epochs,
        lr=lr,
        seed=seed,
        device=device,
        quiet=quiet,
    )
    _say(
        quiet,
        f"training a {layers}-layer {hidden}-unit {cell} on {len(train):,} characters "
        f"(validation {len(val):,})",
    )
    est.fit(train, val)
    h = est.history_
    v = h.val_loss[h.best_epoch]
    _save(outs, output, lambda t: est.save(t, force=True, extra={"val_nats_per_char": v}))
    _say(
        quiet,
        f"wrote {output} ({len(est.vocab_) - 2} characters, {len(h.train_loss)} epochs, "
        f"{h.seconds:.1f} s on {est.device_})",
    )
    typer.echo(f"validation loss {v:.4f} nats/char ({v / LN2:.4f} bits/char)")


@generate_app.command("sample")
@handle_errors
def generate_sample(
    model: ModelIn,
    length: Annotated[
        int, typer.Option("--length", "-n", min=1, help="Characters to generate.")
    ] = 500,
    prime: Annotated[
        str,
        typer.Option(
            "--prime", help="Text to start from (\\n and \\t are read as newline and tab)."
        ),
    ] = "\\n",
    temperature: Annotated[
        float,
        typer.Option(
            "--temperature", min=1e-6, help="Sampling temperature (< 1: safer, > 1: wilder)."
        ),
    ] = 0.8,
    top_k: Annotated[
        int | None,
        typer.Option("--top-k", min=1, help="Draw only from the k likeliest characters."),
    ] = None,
    seed: Annotated[
        int, typer.Option("--seed", help="Sampling seed: the same seed gives the same text.")
    ] = 0,
    output: Output = None,
    force: Force = False,
) -> None:
    """Generate text from a character language model."""
    from tsrnn.output import Outputs
    from tsrnn.text.charlm import CharLM

    outs = Outputs(force)
    outs.add(output, "-o")
    start = prime.replace("\\n", "\n").replace("\\t", "\t")
    _threads()
    est = CharLM.load(model)
    text = start + est.sample(length, prime=start, temperature=temperature, top_k=top_k, seed=seed)
    if output is not None:
        _save(outs, output, lambda t: Path(t).write_text(text, encoding="utf-8"))
    else:
        typer.echo(text)


# -- tag -----------------------------------------------------------------------------------------


def _report(name: str, r: dict) -> str:
    return (
        f"{name}: entity precision {100 * r['precision']:.2f}, recall {100 * r['recall']:.2f}, "
        f"F1 {100 * r['f1']:.2f} ({r['correct']} of {r['gold']} entities found, "
        f"{r['predicted']} predicted)"
    )


@tag_app.command("train")
@handle_errors
def tag_train(
    ctx: typer.Context,
    train: Annotated[
        Path,
        typer.Argument(
            help="CoNLL training file (token<TAB>tag, blank line between sentences).",
            show_default=False,
        ),
    ],
    output: ModelOut,
    dev: Annotated[
        Path | None, typer.Option("--dev", help="CoNLL development file (early stopping).")
    ] = None,
    test: Annotated[
        Path | None, typer.Option("--test", help="CoNLL test file: report entity P/R/F1 on it.")
    ] = None,
    output_layer: Annotated[
        str, typer.Option("--output-layer", help="crf or softmax (both decoded by Viterbi).")
    ] = "crf",
    cell: Cell = "lstm",
    word_embed: Annotated[
        int, typer.Option("--word-embed", min=1, help="Word embedding size.")
    ] = 100,
    char_hidden: Annotated[
        int, typer.Option("--char-hidden", min=1, help="Character encoder units per direction.")
    ] = 50,
    shape_embed: Annotated[
        int, typer.Option("--shape-embed", min=0, help="Word-shape embedding size (0: none).")
    ] = 16,
    min_freq: Annotated[
        int, typer.Option("--min-freq", min=1, help="Words seen fewer times are <unk>.")
    ] = 2,
    word_dropout: Annotated[
        float,
        typer.Option(
            "--word-dropout", min=0.0, max=0.95, help="Share of training words replaced by <unk>."
        ),
    ] = 0.5,
    calibrate: Annotated[
        bool,
        typer.Option(
            "--calibrate/--no-calibrate", help="Choose the O-score shift on --dev (entity F1)."
        ),
    ] = True,
    hidden: Hidden = 128,
    layers: Layers = 1,
    dropout: Dropout = 0.5,
    epochs: Epochs = 20,
    batch_size: BatchSize = 16,
    lr: Lr = 3e-3,
    seed: Seed = 0,
    device: Device = "auto",
    force: Force = False,
    quiet: Quiet = False,
) -> None:
    """Train a BiLSTM(-CRF) tagger with a character encoder on TRAIN and save it to -o."""
    from tsrnn.output import Outputs
    from tsrnn.text.data import read_conll
    from tsrnn.text.tagger import Tagger

    if dev is None:
        refuse_given(ctx, ("calibrate",), "without --dev (the shift is chosen on it)")
    outs = Outputs(force)
    outs.add(output, "-o")
    sents, tags = read_conll(train)
    dsents, dtags = read_conll(dev) if dev is not None else (None, None)
    tdata = read_conll(test) if test is not None else None
    _threads()
    est = Tagger(
        cell=cell,
        word_embed=word_embed,
        char_hidden=char_hidden,
        shape_embed=shape_embed,
        min_freq=min_freq,
        word_dropout=word_dropout,
        calibrate=calibrate,
        hidden=hidden,
        layers=layers,
        dropout=dropout,
        output=output_layer,
        epochs=epochs,
        batch_size=batch_size,
        lr=lr,
        seed=seed,
        device=device,
        quiet=quiet,
    )
    _say(
        quiet,
        f"training a {cell}-{output_layer} tagger on {len(sents)} sentences"
        + (f" (dev {len(dsents)})" if dsents else ""),
    )
    est.fit(sents, tags, dsents, dtags)
    _save(outs, output, lambda t: est.save(t, force=True))
    h = est.history_
    _say(
        quiet,
        f"wrote {output} ({len(est.tags_)} tags, {len(h.train_loss)} epochs, {h.seconds:.1f} s "
        f"on {est.device_})",
    )
    if dsents:
        typer.echo(_report("dev", est.evaluate(dsents, dtags)))
    if tdata is not None:
        typer.echo(_report("test", est.evaluate(*tdata)))


@tag_app.command("predict")
@handle_errors
def tag_predict(
    model: ModelIn,
    file: Annotated[
        Path,
        typer.Argument(
            help="CoNLL file (token, or token<TAB>tag, a line) or, with --lines, one sentence a "
            "line.",
            show_default=False,
        ),
    ],
    lines: Annotated[
        bool,
        typer.Option("--lines", help="FILE holds one sentence a line, tokens split on spaces."),
    ] = False,
    output: Output = None,
    force: Force = False,
) -> None:
    """Tag FILE; writes token<TAB>tag lines (CoNLL). When FILE carries gold tags,
    reports entity P/R/F1."""
    from tsrnn.output import Outputs
    from tsrnn.text.data import format_conll, read_tagged
    from tsrnn.text.tagger import Tagger

    outs = Outputs(force)
    outs.add(output, "-o")
    sents, gold = read_tagged(file, lines)
    _threads()
    est = Tagger.load(model)
    pred = est.predict(sents)
    body = format_conll(sents, pred)
    if output is not None:
        _save(outs, output, lambda t: Path(t).write_text(body, encoding="utf-8"))
    else:
        typer.echo(body, nl=False)
    if gold is not None:
        from tsrnn.text.metrics import span_prf

        typer.echo(_report(str(file), span_prf(gold, pred)), err=True)
