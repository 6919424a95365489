"""`tsrnn datasets`: list the datasets shipped with tsrnn."""

from __future__ import annotations

from tsrnn_cli.base import app
from tsrnn_cli.common import handle_errors


@app.command("datasets")
@handle_errors
def datasets_command() -> None:
    """List the real datasets shipped in datasets/ (source and licence in datasets/README.md)."""
    from tsrnn_cli.render import out

    from tsrnn.data.shipped import DATASETS_DIR, list_datasets

    entries = list_datasets()
    if not entries:
        from tsrnn.errors import DataError

        raise DataError(f"no dataset catalog found at {DATASETS_DIR}/catalog.json")
    # one line per dataset, the file name whole (it is what a command takes), then its shape
    out.print(f"datasets in {DATASETS_DIR}", markup=False, highlight=False)
    width = max(len(e["file"]) for e in entries)
    for e in entries:
        line = (
            f"  {e['file']:<{width}}  {e['name']:<14} {e['freq']:<6} {e['series']} × "
            f"{e['length']:<6} {e['licence']}"
        )
        out.print(line, markup=False, highlight=False, soft_wrap=True)
        if e.get("labels"):
            out.print(
                f"  {'':<{width}}  labels: {e['labels']}",
                markup=False,
                highlight=False,
                soft_wrap=True,
            )
