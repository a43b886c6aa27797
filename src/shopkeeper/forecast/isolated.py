"""Fitting in a child process of its own, for callers that serve people meanwhile.

The statistical models (statsforecast's ETS, Theta, IMAPA… compiled with numba) hold Python's
global interpreter lock for most of a fit. In a web server that fits in one of its threads,
every request then waits for the lock: measured on the demo store with 50 simulated users, the
forecast thread held it about two thirds of the time and pages took seconds. So the server
fits in a fresh process: *spawned*, never forked (a fork of a process running other threads
can copy a held lock and hang), at a lower CPU priority (``NICE``), so people's requests come
first and the fit takes the idle time. The series are read and the run is stored by the caller
(the child never opens the warehouse, which the server holds); the child gets the
:class:`AutoForecaster` and the series, sends progress back, and returns the result.
"""

from __future__ import annotations

import contextlib
import multiprocessing as mp
import os
import queue
from typing import Any

import pandas as pd

from shopkeeper.forecast.auto import AutoForecaster, ForecastResult
from shopkeeper.forecast.series import ForecastError

NICE = 10  # added to the child's niceness: it runs when the machine has time to spare
POLL_S = 1.0


def _child(forecaster: AutoForecaster, df: pd.DataFrame, out: Any,
           exog: pd.DataFrame | None = None) -> None:
    with contextlib.suppress(OSError):  # not permitted here: run at the normal priority
        os.nice(NICE)

    def progress(phase: str, fraction: float | None) -> None:
        out.put(("progress", phase, fraction))

    try:
        result = forecaster.fit(df, exog=exog, progress=progress).result_
    except BaseException as exc:  # noqa: BLE001 (sent to the parent, which raises it)
        out.put(("error", str(exc).splitlines()[0] if str(exc) else type(exc).__name__))
        return
    out.put(("done", result))


def fit_isolated(forecaster: AutoForecaster, df: pd.DataFrame,
                 progress: Any = None, exog: pd.DataFrame | None = None) -> ForecastResult:
    """``forecaster.fit(df, progress=progress).result_``, computed in a spawned child process
    at a lower priority; a failure there is raised here as :class:`ForecastError`."""
    context = mp.get_context("spawn")
    out = context.Queue()
    child = context.Process(target=_child, args=(forecaster, df, out, exog), daemon=True,
                            name="shopkeeper-forecast")
    child.start()
    try:
        while True:
            try:
                message = out.get(timeout=POLL_S)
            except queue.Empty:
                if not child.is_alive():
                    raise ForecastError("the forecasting process stopped without a result "
                                        f"(exit code {child.exitcode})") from None
                continue
            if message[0] == "progress":
                if progress is not None:
                    progress(message[1], message[2])
            elif message[0] == "error":
                raise ForecastError(f"forecasting failed: {message[1]}")
            else:
                return message[1]
    finally:
        child.join(timeout=10)
        if child.is_alive():
            child.terminate()
            child.join()
        out.close()
