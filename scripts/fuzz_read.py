"""Long fuzz run of read_series (not part of CI; tests/test_fuzz_read.py is the short run).

    python scripts/fuzz_read.py --examples 20000            # hypothesis: both generators
    python scripts/fuzz_read.py --atheris --runs 200000     # coverage-guided bytes
                                                            # (pip install atheris)

Every input must give a clean frame or a TsrnnError (one line, no warning); a known series must
come back exactly or be refused for a reason its truth allows. Failures are not fatal: each
distinct one (exception type and message pattern) is written to --out as a CSV with a JSON note,
ready to be copied into tests/fuzz_corpus/read_series. Prints how many inputs were tried, how
many were read, refused or failed, and the most common refusals.
"""

from __future__ import annotations

import argparse
import collections
import json
import re
import sys
import tempfile
import time
import traceback
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))


def _cases():
    """tests/fuzz_read_cases, imported late so that atheris can instrument tsrnn first."""
    import fuzz_read_cases

    return fuzz_read_cases


class Tally:
    def __init__(self, out: Path, label: str = "inputs"):
        self.out, self.label, self.n, self.read, self.refused = (
            out,
            label,
            0,
            0,
            collections.Counter(),
        )
        self.failures: dict[str, str] = {}

    def judge(self, case, work: Path, known: bool) -> None:
        from tsrnn.errors import TsrnnError

        self.n += 1
        if self.n % 2000 == 0:
            print(
                f"{self.n} {self.label}, {self.read} read clean, {len(self.failures)} failures",
                flush=True,
            )
        try:
            res = _cases().run_case(case, work)
            if known:
                _cases().check_known(case, res)
        except Exception as e:  # noqa: BLE001 - a fuzz harness records every failure kind
            self.record(case, e)
            return
        if isinstance(res, TsrnnError):
            self.refused[re.sub(r"'[^']*'|\d+", "…", str(res).split(": ", 1)[-1])[:90]] += 1
        else:
            self.read += 1

    def record(self, case, e: Exception) -> None:
        tb = traceback.extract_tb(e.__traceback__)
        where = next(
            (f"{Path(f.filename).name}:{f.lineno}" for f in reversed(tb) if "tsrnn" in f.filename),
            "?",
        )
        key = f"{type(e).__name__} at {where}: {re.sub(r'[0-9]+', 'N', str(e))[:80]}"
        if key in self.failures:
            return
        name = f"{self.label}-{len(self.failures):03d}.csv"
        self.failures[key] = name
        self.out.mkdir(parents=True, exist_ok=True)
        (self.out / name).write_bytes(case.data)
        (self.out / (name + ".json")).write_text(
            json.dumps(
                {
                    "as": case.name,
                    "options": case.options,
                    "failure": key,
                    "message": str(e)[:2000],
                },
                indent=1,
            )
        )
        print(f"FAILURE {name}: {key}", flush=True)

    def report(self, seconds: float) -> None:
        print(
            f"\n{self.n} {self.label} in {seconds:.0f} s: {self.read} read clean, "
            f"{sum(self.refused.values())} refused with a TsrnnError, {len(self.failures)} "
            "distinct failures"
        )
        for msg, k in self.refused.most_common(15):
            print(f"  {k:6d}  {msg}")
        for key, name in self.failures.items():
            print(f"  FAILURE {name}: {key}")


def run_hypothesis(out: Path, examples: int, seed: int | None) -> None:
    from hypothesis import HealthCheck, given, settings
    from hypothesis import seed as hseed

    work = Path(tempfile.mkdtemp(prefix="fuzz_read_"))
    cfg = settings(
        max_examples=examples, deadline=None, database=None, suppress_health_check=list(HealthCheck)
    )
    for label, strategy, known in (
        ("random-files", _cases().csv_files(), False),
        ("known-series", _cases().known_series(), True),
    ):
        tally, t0 = Tally(out, label), time.perf_counter()
        prop = cfg(given(case=strategy)(_judge_with(tally, work, known)))
        if seed is not None:
            prop = hseed(seed)(prop)
        try:
            prop()
        finally:
            tally.report(time.perf_counter() - t0)


def _judge_with(tally: Tally, work: Path, known: bool):
    def judge(case):
        tally.judge(case, work, known)

    return judge


def run_atheris(tally: Tally, runs: int) -> None:
    import atheris

    with atheris.instrument_imports(include=["tsrnn"]):  # coverage feedback from tsrnn's code
        import tsrnn.data.dates  # noqa: F401
        import tsrnn.data.dialect  # noqa: F401
        import tsrnn.data.freq  # noqa: F401
        import tsrnn.data.gaps  # noqa: F401
        import tsrnn.data.io  # noqa: F401
    Case = _cases().Case
    work = Path(tempfile.mkdtemp(prefix="fuzz_read_"))
    options = [
        {},
        {"fill_nan": "zero", "fill_gaps": "zero"},
        {"dayfirst": True},
        {"sep": ";", "decimal": ","},
        {"duplicates": "mean", "fill_nan": "interpolate"},
    ]

    t0 = time.perf_counter()

    calls = [0]

    def one(data: bytes) -> None:
        calls[0] += 1
        if data:
            tally.judge(Case(data[1:], "s.csv", options[data[0] % len(options)]), work, known=False)
        if calls[0] % 2000 == 0 or calls[0] == runs:  # libFuzzer exits without returning here
            tally.report(time.perf_counter() - t0)

    seeds = Path(tempfile.mkdtemp(prefix="fuzz_read_seeds_"))
    corpus = Path(__file__).resolve().parents[1] / "tests" / "fuzz_corpus" / "read_series"
    for k, p in enumerate(sorted(corpus.glob("*.csv"))):
        (seeds / f"{k}").write_bytes(b"\x00" + p.read_bytes())
    (seeds / "iso").write_bytes(b"\x00ds,y\n2020-01-01,1\n2020-01-02,2\n2020-01-03,3\n")
    (seeds / "eu").write_bytes(b"\x03date;value\n01.01.2020;1,5\n02.01.2020;2,5\n13.01.2020;3\n")
    atheris.Setup([sys.argv[0], str(seeds), f"-runs={runs}", "-max_len=4096"], one)
    atheris.Fuzz()


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--examples", type=int, default=5000, help="hypothesis examples per generator")
    ap.add_argument("--seed", type=int, default=None, help="hypothesis seed (default: random)")
    ap.add_argument("--atheris", action="store_true", help="coverage-guided byte fuzzing instead")
    ap.add_argument("--runs", type=int, default=100_000, help="atheris inputs")
    ap.add_argument(
        "--out", type=Path, default=Path("fuzz_failures"), help="where failing inputs go"
    )
    args = ap.parse_args()
    if args.atheris:
        run_atheris(Tally(args.out, "atheris"), args.runs)
    else:
        run_hypothesis(args.out, args.examples, args.seed)


if __name__ == "__main__":
    main()
