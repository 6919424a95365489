"""Fuzzing read_series: random CSV files get a clean frame or a project error, never a traceback,
a warning or a wrong result; the failures fuzzing found are kept in tests/fuzz_corpus/read_series
as regression cases. Seeded (derandomized) and short here; scripts/fuzz_read.py runs long."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest
from fuzz_read_cases import Case, check_known, csv_files, known_series, run_case
from hypothesis import HealthCheck, given, settings

from tsrnn.errors import TsrnnError

CORPUS = Path(__file__).parent / "fuzz_corpus" / "read_series"
EXPECTED = json.loads((CORPUS / "expected.json").read_text())
CI = settings(
    max_examples=80,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


@CI
@given(case=csv_files())
def test_random_csv_files_give_a_clean_frame_or_a_project_error(case, tmp_path):
    run_case(case, tmp_path)


@CI
@given(case=known_series())
def test_known_series_come_back_exactly_or_are_refused_for_a_reason(case, tmp_path):
    check_known(case, run_case(case, tmp_path))


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_corpus(name, tmp_path):
    """Each corpus file reads as recorded in expected.json: an error matching a pattern, or a
    frame with the given rows, frequency and first/last timestamps and values."""
    want = EXPECTED[name]
    case = Case(
        (CORPUS / name).read_bytes(), name=want.get("as", "s.csv"), options=want.get("options", {})
    )
    out = run_case(case, tmp_path)
    if "error" in want:
        assert isinstance(out, TsrnnError), f"expected an error, got {len(out)} rows"
        assert re.search(want["error"], str(out)), str(out)
        return
    assert not isinstance(out, TsrnnError), str(out)
    assert len(out) == want["rows"] and out.attrs["freq"] == want["freq"]
    assert out["ds"].iloc[0] == pd.Timestamp(want["first"]) and out["ds"].iloc[-1] == pd.Timestamp(
        want["last"]
    )
    assert out[out.attrs["targets"][0]].iloc[[0, -1]].tolist() == want["values"]


def test_corpus_files_all_have_expectations():
    files = {p.name for p in CORPUS.iterdir() if p.name != "expected.json"}
    assert files == set(EXPECTED)
