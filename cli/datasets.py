"""`tsrnn datasets`: list the datasets shipped with tsrnn."""

from __future__ import annotations

import pandas as pd
from tsrnn_cli.app import app
from tsrnn_cli.common import handle_errors


@app.command("datasets")
@handle_errors
def datasets_command() -> None:
    """List the real datasets shipped in datasets/ (source and licence in datasets/README.md)."""
    from tsrnn_cli.render import table

    from tsrnn.data.shipped import DATASETS_DIR, list_datasets

    entries = list_datasets()
    if not entries:
        from tsrnn.errors import DataError

        raise DataError(f"no dataset catalog found at {DATASETS_DIR}/catalog.json")
    cols = ["name", "file", "freq", "series", "length", "licence"]
    table(pd.DataFrame(entries)[cols], title=f"datasets in {DATASETS_DIR}")
