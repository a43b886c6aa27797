"""Long work shows signs of life: a ticking clock in a terminal, a line per step otherwise."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
import time

from rich.console import Console

from shopkeeper.cli import _Steps

STEP_LINE = re.compile(r"^\[\s*\d+\.\ds\] (?P<step>.+) \((?P<seconds>\d+\.\d)s\)$")


def _plain(**kwargs) -> tuple[_Steps, io.StringIO]:
    out = io.StringIO()
    return _Steps(Console(file=out, width=200), live=False, **kwargs), out


def test_a_piped_report_prints_a_line_per_step_with_elapsed_time(shop, tmp_path):
    shop.close()  # the report runs in its own process
    env = {k: v for k, v in os.environ.items() if not k.startswith("SHOPKEEPER_")}
    proc = subprocess.run([sys.executable, "-m", "shopkeeper.cli", "-w", str(shop.path),
                           "report", "--format", "html", "--out", str(tmp_path / "out"),
                           "--no-model"], cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr
    steps = [m["step"] for line in proc.stderr.splitlines() if (m := STEP_LINE.match(line))]
    assert steps[0] == "computing the report", proc.stderr
    assert len(steps) == 2, steps  # (with the report's currency, where there are several)
    assert re.fullmatch(r"writing \d{4}-\d{2}( \(\w{3}\))?: html", steps[1]), steps
    assert (tmp_path / "out").is_dir()


def test_steps_that_differ_only_in_numbers_are_one_line():
    steps, out = _plain()
    with steps:
        for start in range(0, 15_000, 5_000):
            steps(f"analysing reviews {start:,}–{start + 5_000:,}", start / 15_000)
        steps("storing the results", None)
        steps("done", 1.0)
    lines = out.getvalue().splitlines()
    assert [STEP_LINE.match(x)["step"] for x in lines] == [
        "analysing reviews 10,000–15,000", "storing the results"]


def test_a_long_step_off_a_terminal_says_it_is_still_working():
    steps, out = _plain(heartbeat_s=0.3)
    with steps:
        steps.step("forecasting 3,940 series")
        time.sleep(1.2)
    lines = out.getvalue().splitlines()
    assert any("forecasting 3,940 series: still working" in x for x in lines[:-1]), lines
    assert STEP_LINE.match(lines[-1])["step"] == "forecasting 3,940 series"


def test_a_failed_step_prints_no_finished_line():
    steps, out = _plain()
    try:
        with steps:
            steps.step("reading orders.csv")
            raise ValueError("bad file")
    except ValueError:
        pass
    assert out.getvalue() == ""  # the error line alone says what happened


def test_the_terminal_clock_keeps_ticking_after_a_step_reaches_100_percent():
    console = Console(file=io.StringIO(), force_terminal=True, width=120)
    with _Steps(console) as steps:
        steps("loading orders", 1.0)  # a finished step: rich stops its own task clock here
        steps("forecasting 3,940 series", None)
        clock = steps._bar.columns[-1]
        first = str(clock.render(steps._bar.tasks[0]))
        time.sleep(1.1)
        later = str(clock.render(steps._bar.tasks[0]))
    assert first != later, (first, later)


def test_demo_steps_print_their_phases_then_their_result_in_order():
    steps, out = _plain()
    with steps:
        steps("forecast demand", None)
        steps("forecast demand: forecasting 10/20 series", 0.5)
        steps("forecast demand: forecasting 20/20 series", 1.0)
        steps.note("[green]✓[/] forecast demand (1.0s): 20 SKUs", step="forecast demand")
        steps("monthly finance report", None)
        steps.note("[green]✓[/] monthly finance report (2.0s): net revenue", step="monthly "
                   "finance report")
    lines = [re.sub(r"^\[\s*\d+\.\ds\] ", "", x) for x in out.getvalue().splitlines()]
    assert [re.sub(r" \(\d+\.\ds\)$", "", x) for x in lines] == [
        "forecast demand: forecasting 20/20 series",
        "✓ forecast demand (1.0s): 20 SKUs",
        "✓ monthly finance report (2.0s): net revenue"]
