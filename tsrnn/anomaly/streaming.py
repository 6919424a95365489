"""Streaming detection: one value in, (score, is_anomaly) out, O(1) work per point.

    st = detector.streamer("series-id")      # fitted detector, one of its series
    st.prime(history)                         # optional: past values (their scores are dropped)
    score, flag = st.update(value)            # a float, or a (C,) array for several value columns

A streamer is the series' SeriesPipeline (tsrnn.anomaly.pipeline) run one point at a time: the
scorer's own step (the forecast scorer: one recurrent step per point, on the numba runtime when
`tsrnn.cpu` provides it, else torch; z-score: running sums; IsolationForest and tail: the last
window; ensemble: its members' steps), the normaliser's stepper and the series' fitted threshold
(SPOT keeps updating it; "dynamic" and "contamination", which judge a whole batch, use the value
chosen on the training scores). With a Refit, tsrnn.anomaly.refit.AdaptiveStepper refits at the
points `detect` does. The score is the one `detect` gives the same point when the stream starts
at the series' first value. Scorers that are not causal (STL, autoencoder) have no stream.
"""

from __future__ import annotations

import math

from tsrnn.anomaly.pipeline import Stepper
from tsrnn.anomaly.refit import AdaptiveStepper
from tsrnn.errors import ConfigError, DataError

__all__ = ["make_streamer", "check_streamable", "parse_stream_line", "Stepper", "AdaptiveStepper"]


def check_streamable(scorer) -> None:
    """ConfigError unless the scorer is causal (has a one-point-at-a-time step)."""
    if not scorer.causal:
        raise ConfigError(
            f"the {scorer.name} scorer is not causal (a point's score uses later "
            "points), so it has no stream; use forecast, zscore, iforest, tail or an "
            "ensemble of them"
        )


def make_streamer(det, unique_id: str | None = None, backend: str = "auto"):
    """A streamer for one fitted series of `det` (the only one when unique_id is None)."""
    if unique_id is None:
        if len(det.ids_) != 1:
            raise ConfigError(
                f"the detector was fitted on {len(det.ids_)} series; name one for the streamer"
            )
        k = 0
    elif unique_id in det.ids_:
        k = det.ids_.index(unique_id)
    else:
        raise DataError(f"series '{unique_id}' was not seen in fit")
    check_streamable(det.scorer_)
    if det.refit is not None:
        return AdaptiveStepper(det, k, backend)
    return det.pipeline(k).stepper(backend)


def parse_stream_line(text: str, n_columns: int) -> tuple[list[float], str | None]:
    """One line of a value stream: `n_columns` comma-separated finite numbers. Returns (values,
    None), or ([], problem) with a phrase saying what is wrong (for "line N: 'text' <problem>")."""
    try:
        values = [float(t) for t in text.split(",")]
    except ValueError:
        more = f" (nor {n_columns} comma-separated numbers)" if n_columns > 1 else ""
        return [], "is not a number" + more
    if not all(math.isfinite(x) for x in values):
        return [], "holds a value that is not finite"
    if len(values) != n_columns:
        return [], f"holds {len(values)} value(s), not {n_columns}"
    return values, None
