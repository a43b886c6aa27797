"""The model catalogue: statsforecast models by name, and the global LightGBM model.

Nothing here forecasts by itself; it only builds the library objects with Shopkeeper's
defaults, so every model in a run has a stable, documented name.
"""

from __future__ import annotations

from collections.abc import Callable

from statsforecast import models as sf

LGBM = "lightgbm"
ENSEMBLE = "ensemble"

# name -> factory(season_length) returning a statsforecast model with that alias
_STATS: dict[str, Callable[[int], object]] = {
    "naive": lambda m: sf.Naive(alias="naive"),
    "seasonal_naive": lambda m: sf.SeasonalNaive(season_length=m, alias="seasonal_naive"),
    "historic_average": lambda m: sf.HistoricAverage(alias="historic_average"),
    "window_average": lambda m: sf.WindowAverage(window_size=4 * m if m < 28 else m,
                                                 alias="window_average"),
    "auto_ets": lambda m: sf.AutoETS(season_length=m, alias="auto_ets"),
    # AutoETS without a season: level and trend only, a fraction of the seasonal search's time
    "auto_ets_noseason": lambda m: sf.AutoETS(season_length=1, model="ZZN",
                                              alias="auto_ets_noseason"),
    "auto_theta": lambda m: sf.AutoTheta(season_length=m, alias="auto_theta"),
    "dynamic_theta": lambda m: sf.DynamicOptimizedTheta(season_length=m, alias="dynamic_theta"),
    "auto_arima": lambda m: sf.AutoARIMA(season_length=m, alias="auto_arima"),
    "mstl": lambda m: sf.MSTL(season_length=[m, 365] if m == 7 else [m],
                              trend_forecaster=sf.AutoETS(model="ZZN"), alias="mstl"),
    "croston": lambda m: sf.CrostonOptimized(alias="croston"),
    "adida": lambda m: sf.ADIDA(alias="adida"),
    "imapa": lambda m: sf.IMAPA(alias="imapa"),
    "tsb": lambda m: sf.TSB(alpha_d=0.1, alpha_p=0.1, alias="tsb"),
}

STATISTICAL_MODELS = tuple(_STATS)
ALL_MODELS = (*STATISTICAL_MODELS, LGBM, ENSEMBLE)
BASELINES = ("seasonal_naive", "naive", "historic_average")

# Candidates per demand class when the user asks for "auto". Smooth and erratic demand gets the
# state-space and theta families; sparse demand the intermittent family (they forecast a rate).
AUTO_POOLS: dict[str, tuple[str, ...]] = {
    "smooth": ("auto_ets", "dynamic_theta", "window_average", "seasonal_naive"),
    "erratic": ("auto_ets", "dynamic_theta", "tsb", "window_average", "seasonal_naive"),
    "intermittent": ("tsb", "adida", "imapa", "croston", "window_average", "seasonal_naive"),
    "lumpy": ("tsb", "adida", "imapa", "croston", "window_average", "seasonal_naive"),
}
# AutoARIMA is affordable on monthly series (about 1 s a series and fit with a 12-month season,
# M5 items summed to months); with a 52-week season it took 25 s a series and fit, so a weekly
# backtest of a store of steady sellers would run for hours: weekly data goes without it. MSTL
# needs two full years of days.
AUTO_EXTRAS_BY_FREQ: dict[str, tuple[str, ...]] = {"D": (), "W": (), "M": ("auto_arima",)}
# ... and only on smooth demand, the one class ARIMA models well: elsewhere AutoETS, Theta and
# the intermittent-demand models cover it, and fitting ARIMA to every erratic and lumpy SKU made
# the README's weekly backtest of the demo's 3,937 SKUs take about an hour on two cores.
AUTO_EXTRAS_CLASSES = ("smooth",)
# Summed to weeks or months, a sparse item's demand is a level AutoETS follows better than the
# intermittent-demand family: on M5 items by week, AutoETS scored RMSSE 0.906 against 0.979 for
# the class ensemble of LightGBM, IMAPA and TSB on the intermittent items of d_1830-1857. With
# or without a 52-week season it scored the same there (0.9055 and 0.9055; 1.0387 and 1.0387
# on d_1886-1913), and the seasonal search tripled a weekly run's time, so sparse items get it
# without a season.
SPARSE_EXTRAS_BY_FREQ: dict[str, tuple[str, ...]] = {"D": (), "W": ("auto_ets_noseason",),
                                                     "M": ("auto_ets_noseason",)}


def statistical_model(name: str, season_length: int) -> object:
    """The statsforecast model called ``name`` (see ``STATISTICAL_MODELS``)."""
    return _STATS[name](season_length)


def has_intervals(name: str) -> bool:
    """Whether statsforecast gives this model native prediction intervals."""
    return name in {"naive", "seasonal_naive", "historic_average", "auto_ets",
                    "auto_ets_noseason", "auto_theta",
                    "dynamic_theta", "auto_arima", "mstl"}


def lgbm_warmup(season_length: int) -> int:
    """Periods of history the LightGBM features need before the first training row."""
    return 90 + 28 if season_length == 7 else 2 * season_length + 4


def lightgbm_forecaster(freq: str, season_length: int, n_jobs: int = 1):
    """mlforecast's MLForecast with one LightGBM model and Shopkeeper's features.

    Lags, rolling means of recent and same-weekday demand, and calendar features; each series
    is standardised locally so one model serves fast and slow movers alike.
    """
    import lightgbm as lgb
    from mlforecast import MLForecast
    from mlforecast.lag_transforms import (
        ExponentiallyWeightedMean,
        RollingMean,
        SeasonalRollingMean,
    )
    from mlforecast.target_transforms import LocalStandardScaler

    m = season_length
    if m == 7:
        lags = [1, 2, 3, 7, 14, 28]
        lag_transforms = {
            1: [RollingMean(7), RollingMean(28), RollingMean(90), ExponentiallyWeightedMean(0.05)],
            7: [RollingMean(7), RollingMean(28), SeasonalRollingMean(7, 4)],
        }
        date_features = ["dayofweek", "month", "day"]
    else:
        lags = [1, 2, 3, m]
        lag_transforms = {1: [RollingMean(4), RollingMean(m), ExponentiallyWeightedMean(0.1)]}
        date_features = ["month"] if m == 12 else ["month", "quarter"]
    model = lgb.LGBMRegressor(
        objective="regression", n_estimators=300, learning_rate=0.05, num_leaves=63,
        verbose=-1, n_jobs=n_jobs,
    )
    return MLForecast(
        models={LGBM: model},
        freq=freq,
        lags=lags,
        lag_transforms=lag_transforms,
        date_features=date_features,
        target_transforms=[LocalStandardScaler()],
        num_threads=n_jobs,
    )
