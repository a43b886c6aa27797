"""What every command module shares: the Typer ``app`` and its global options, the consoles,
settings, error handling, progress display and small parsing helpers.

Every command turns library errors into one red line and a non-zero exit code; ``--debug``
shows the traceback instead.
"""

from __future__ import annotations

import functools
import re
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC
from pathlib import Path
from typing import Annotated, Any

import duckdb
import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, ProgressColumn, SpinnerColumn, TextColumn
from rich.text import Text

from shopkeeper import __version__, store
from shopkeeper.errors import ShopkeeperError

app = typer.Typer(
    help="Shopkeeper: the AI operations copilot for e-commerce merchants.\n\n"
    "Start with 'shopkeeper demo' to build a demo store, or 'shopkeeper init' and "
    "'shopkeeper ingest FILE' to load your own exports.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
console = Console()
err_console = Console(stderr=True)
# a long step off a terminal says it is still working this often (seconds)
HEARTBEAT_S = 15.0


class _State:
    config: Path | None = None
    warehouse: str | None = None
    debug: bool = False


state = _State()


def _settings(**overrides: Any) -> store.Settings:
    return store.load_settings(state.config, warehouse=state.warehouse, **overrides)


def handle_errors(fn: Callable) -> Callable:
    """Print library errors as one line and exit 1 (tracebacks only with --debug)."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except (ShopkeeperError, OSError) as exc:
            if state.debug:
                raise
            err_console.print(f"[bold red]Error:[/] {escape(str(exc))}", soft_wrap=True,
                              highlight=False)
            raise typer.Exit(1) from None
        except duckdb.Error as exc:  # the engine itself: a full disk, a file gone read-only
            if state.debug:
                raise
            reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            err_console.print(f"[bold red]Error:[/] the warehouse engine failed: "
                              f"{escape(reason)}", soft_wrap=True, highlight=False)
            raise typer.Exit(1) from None

    return wrapper


def _version(value: bool) -> None:
    if value:
        console.print(f"shopkeeper {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    config: Annotated[Path | None, typer.Option("--config", "-c", help="TOML config file "
                      "(default: $SHOPKEEPER_CONFIG, else ./shopkeeper.toml).")] = None,
    warehouse: Annotated[str | None, typer.Option("--warehouse", "-w",
                         help="Warehouse file or postgresql:// URL, overriding the config."
                         )] = None,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks on errors.")] = False,
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                       help="Print the version and exit.")] = False,
) -> None:
    state.config, state.warehouse, state.debug = config, warehouse, debug


class _ElapsedColumn(ProgressColumn):
    """Time since the command started. Not rich's per-task clock: that one stops for good once
    a step reports 100%, so a later step looked frozen."""

    def __init__(self, started: float) -> None:
        super().__init__()
        self.started = started

    def render(self, task: Any) -> Text:
        return Text(_clock(time.perf_counter() - self.started), style="progress.elapsed")


def _clock(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    return f"{minutes // 60}:{minutes % 60:02d}:{secs:02d}"


class _Steps:
    """Signs of life for long work, as the library's ``progress(phase, fraction)`` callback.

    In a terminal: a rich bar whose clock ticks on its own thread. Otherwise (a pipe, a log, cron):
    one plain line on stderr per finished step, ``[  12.3s] forecasting 3,940/3,940 series
    (8.1s)``, and a line every ``heartbeat_s`` while a step runs on. Phases that differ only in
    their numbers (``analysing reviews 0–5,000``, ``5,000–10,000``) are one step.
    """

    def __init__(self, console: Console, *, live: bool | None = None,
                 heartbeat_s: float = HEARTBEAT_S) -> None:
        self.console = console
        self.live = console.is_terminal if live is None else live
        self.heartbeat_s = heartbeat_s
        self._lock = threading.Lock()
        self._phase: str | None = None
        self._fraction: float | None = None
        self._phase_started = self._last_line = self._started = 0.0
        self._stop = threading.Event()

    def __enter__(self) -> _Steps:
        self._started = self._phase_started = self._last_line = time.perf_counter()
        if self.live:
            self._bar = Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(),
                                 _ElapsedColumn(self._started), console=self.console,
                                 transient=True)
            self._bar.start()
            self._task = self._bar.add_task("starting", total=None)
        elif self.heartbeat_s > 0:
            threading.Thread(target=self._heartbeat, daemon=True).start()
        return self

    def __exit__(self, exc_type: type | None, *exc: object) -> None:
        self._stop.set()
        if self.live:
            self._bar.stop()
        elif exc_type is None:
            with self._lock:
                self._finish_step()

    def __call__(self, phase: str, fraction: float | None) -> None:
        with self._lock:
            if self.live:
                if _step_key(phase) != _step_key(self._phase or ""):
                    self._bar.reset(self._task)  # a new step starts its own bar and spinner
                self._bar.update(self._task, description=phase, total=None if fraction is None
                                 else 1.0, completed=fraction or 0)
            elif _step_key(phase) != _step_key(self._phase or ""):
                self._finish_step(phase)
                self._phase_started = time.perf_counter()
            self._phase, self._fraction = phase, fraction

    def step(self, phase: str) -> None:
        """Start a step of the face's own (``computing the report``)."""
        self(phase, None)

    def note(self, text: str, *, step: str | None = None) -> None:
        """Print the result of ``step`` (markup allowed) after the line of the phase that just
        ended, which the note replaces when it is the step itself."""
        with self._lock:
            if self.live:
                self.console.print(text, soft_wrap=True, highlight=False)
                return
            if self._phase != step:
                self._finish_step()
            self._phase = None
            self._line(Text.from_markup(text).plain)

    def _line(self, text: str) -> None:
        now = time.perf_counter()
        self._last_line = now
        self.console.print(f"[{now - self._started:7.1f}s] {text}", markup=False,
                           highlight=False, soft_wrap=True)

    def _finish_step(self, following: str = "") -> None:
        """The line for the step that just ended; none for "done", nor for a step whose own
        phases follow (``forecast demand`` → ``forecast demand: loading``)."""
        phase = self._phase
        if phase and phase != "done" and not phase.endswith(": done") \
                and not following.startswith(f"{phase}: "):
            self._line(f"{phase} ({time.perf_counter() - self._phase_started:.1f}s)")
        self._phase = None

    def _heartbeat(self) -> None:
        while not self._stop.wait(min(self.heartbeat_s, 1.0)):
            with self._lock:
                if self._phase and time.perf_counter() - self._last_line >= self.heartbeat_s:
                    done = f", {self._fraction:.0%}" if self._fraction is not None else ""
                    running = time.perf_counter() - self._phase_started
                    self._line(f"{self._phase}: still working ({running:.0f}s{done})")


def _step_key(phase: str) -> str:
    """A phase without its numbers: ``forecasting 120/3,940 series`` → ``forecasting #/# series``."""
    return re.sub(r"\d[\d,.]*", "#", phase)


def _progress() -> _Steps:
    """Live progress on stderr for anything that can take more than a couple of seconds."""
    return _Steps(err_console)


def _split(value: str | None) -> list[str]:
    return [v.strip() for v in (value or "").split(",") if v.strip()]


def _as_of(value: str | None):
    from datetime import datetime

    if value is None:
        return None
    try:
        day = datetime.strptime(value, "%Y-%m-%d")
    except ValueError:
        raise typer.BadParameter(f"--as-of {value!r}: use YYYY-MM-DD") from None
    return day.replace(hour=12, tzinfo=UTC)


def _customer_messages(script: Path | None) -> Iterator[str]:
    """The customer's messages: typed at the prompt, or read from ``script`` (echoed), until
    'quit' or the end; blank lines skipped."""
    lines = script.read_text(encoding="utf-8").splitlines() if script else None
    while True:
        if lines is None:
            try:
                message = console.input("[bold]you>[/] ")
            except (EOFError, KeyboardInterrupt):
                return
        elif lines:
            message = lines.pop(0)
            console.print("[bold]you>[/] ", end="")
            console.print(message, highlight=False, markup=False)
        else:
            return
        if message.strip().lower() in ("quit", "exit", "退出"):
            return
        if message.strip():
            yield message
