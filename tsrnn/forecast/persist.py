"""The Forecaster's model file and streamer: `Forecaster.save`, `Forecaster.load` and
`Forecaster.streamer` (the file format is tsrnn.forecastfile's; the configuration a NetConfig)."""

from __future__ import annotations

from pathlib import Path

from tsrnn.data.scaling import SeriesScaler
from tsrnn.errors import ConfigError, ModelFileError
from tsrnn.forecast.inputs import Histories
from tsrnn.netconfig import NetConfig


def save_forecaster(est, path: str | Path, force: bool = False) -> None:
    """Write a fitted forecaster's model file (refused where `path` exists, unless force)."""
    from tsrnn.forecastfile import write_model
    from tsrnn.nn.distributed import is_main

    est._check_fitted()
    if not is_main():
        return
    meta = {
        "config": {"params": est._json_params(), **est.config_.to_dict()},
        "features": est.features_,
        "scaler": est.scaler_.to_dict(),
        "series": est.series_,
        "history": est.history_.to_json(),
        "conformal": est.conformal_,
    }
    write_model(path, est._weights(), meta, force=force)


def load_forecaster(cls, path: str | Path, backend: str, device: str):
    """A fitted `cls` (Forecaster) from a model file, its network on `backend` ("torch" on
    `device`, or "numba")."""
    from tsrnn.forecastfile import read_model

    weights, meta = read_model(path)
    cfg = meta["config"]
    try:
        params = dict(cfg["params"])
        if isinstance(params.get("quantiles"), list):
            params["quantiles"] = tuple(params["quantiles"])
        est = cls(**params)
        est.config_ = NetConfig.from_dict(cfg)
        est.features_, est.series_ = meta["features"], list(meta["series"])
        est.scaler_ = SeriesScaler.from_dict(meta["scaler"])
        est.history_ = Histories.from_json(meta["history"])
        est.conformal_ = meta["conformal"]
    except (KeyError, TypeError, ValueError, ConfigError) as e:
        raise ModelFileError(
            f"{path}: model file metadata is incomplete ({type(e).__name__}: {e})"
        ) from None
    est.weights_, est.net_, est.numba_net_, est.backend_ = weights, None, None, backend
    est.train_history_ = None
    if backend == "numba":
        if est.config_.model == "seq2seq":
            raise ConfigError(
                f"{path}: a seq2seq model has no numba back end for predict; load "
                "it with backend='torch' (its streamer() runs on numba either way)"
            )
        from tsrnn.cpu.net import NumbaNet

        core = {k: v for k, v in weights.items() if k.startswith(("core.", "head."))}
        est.numba_net_ = NumbaNet.from_state(est.config_, core)
    else:
        from tsrnn.forecast.fitting import build_net_from_weights

        est.net_, est.device_ = build_net_from_weights(est.config_, weights, device, path)
    est.fitted_ = True
    return est


def forecast_streamer(est, unique_id: str | None = None):
    """The ForecastStreamer (tsrnn.cpu.forecast_stream) of one training series of a fitted
    forecaster; None: the model's only series."""
    from tsrnn.cpu.forecast_stream import ForecastStreamer, pick_series

    h, ids = est.history_, list(est.history_.ids)
    row = pick_series(ids, unique_id)
    sid = list(est.series_).index(ids[row])
    return ForecastStreamer(
        est.config_,
        est._weights(),
        h.values[row],
        int(h.n_obs[row]),
        h.last_ds[row],
        est.scaler_.loc_[sid],
        est.scaler_.scale_[sid],
        list(est.features_["calendar"]),
        sid,
    )
