"""The README's tour, run end to end: every `shopkeeper …` line of it, on the demo store.

The commands are read from README.md itself, so a documented command can never crash unnoticed.
Lines that name the reader's own files (an Olist folder, a Taobao export, an ERP file with its
mapping, a draft id) run against small stand-ins this module writes; every other line runs as
written, in order, in one store (the session's demo store: the tour changes it, so it runs last), each
as a real subprocess with no terminal (as in a script).
A README line that this module neither runs as written nor knows how to stand in for fails.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import SHARED_DATA

ROOT = Path(__file__).resolve().parents[1]
EXE = Path(sys.executable).with_name("shopkeeper")

pytestmark = pytest.mark.slow


def tour_commands() -> list[str]:
    """Every `shopkeeper …` command of the README's tour, trailing comments removed and `&&`
    chains split, in order."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"## A short tour\s+(?:[^`]*?\n)?```bash\n(.*?)\n```", text, re.S)
    assert block, "README.md has no '## A short tour' bash block"
    commands: list[str] = []
    for line in block.group(1).splitlines():
        line = re.split(r"\s{2,}#\s", line)[0].strip()   # a comment starts after 2+ spaces
        for part in line.split("&&"):
            part = part.strip()
            if part.startswith("shopkeeper "):
                commands.append(part)
    return commands


COMMANDS = tour_commands()

# What the reader types for their own files, and the stand-ins this module writes for them.
TAOBAO_HEADER = ["订单编号", "子订单编号", "买家会员名", "商品标题", "商家编码", "宝贝数量",
                 "商品单价", "实付金额", "订单状态", "订单创建时间", "订单付款时间", "退款金额"]
TAOBAO_ROWS = [
    ('="3870000000000000101"', '="3870000000000000102"', "tb_tour", "纯棉T恤 男款 短袖",
     "TS-001", "2", "59.00", "108.00", "交易成功", "2024-03-05 14:22:10",
     "2024-03-05 14:23:00", "0.00"),
    ('="3870000000000000201"', '="3870000000000000202"', "tb_tour2", "陶瓷马克杯", "MUG-1",
     "1", "29.90", "29.90", "交易关闭", "2024-03-06 09:00:00", "2024-03-06 09:01:00",
     "29.90"),
]
ERP_MAPPING = """\
name = "my_erp_orders"
[source]
timezone = "Asia/Shanghai"
currency = "CNY"

[[tables]]
table = "order_lines"
[tables.fields]
order_id = "Order No"
line_number = "Line"
product_id = "SKU"
quantity = "Qty"
unit_price = { column = "Price" }

[[tables]]
table = "orders"
grain = "dedupe"
[tables.fields]
order_id = "Order No"
ordered_at = { column = "Date", format = ["%Y-%m-%d %H:%M"] }
status = { column = "State", map = { "交易成功" = "completed", "交易关闭" = "cancelled" } }
channel = { value = "my_erp" }
"""


def _write_taobao(path: Path) -> None:
    lines = [",".join(TAOBAO_HEADER)] + [",".join(r) for r in TAOBAO_ROWS]
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("gbk"))


def _write_erp(folder: Path) -> None:
    import pandas as pd

    pd.DataFrame({
        "Order No": ["ERP-1", "ERP-1", "ERP-2"], "Line": [1, 2, 1],
        "SKU": ["E-100", "E-200", "E-100"], "Qty": [2, 1, 5],
        "Price": ["¥1,299.00", "¥19.90", "¥1,299.00"],
        "Date": ["2024-04-01 10:00", "2024-04-01 10:00", "2024-04-02 18:30"],
        "State": ["交易成功", "交易成功", "交易关闭"],
    }).to_excel(folder / "my_erp_export.xlsx", index=False)
    (folder / "my_erp.toml").write_text(ERP_MAPPING, encoding="utf-8")


def _write_olist(folder: Path) -> None:
    source = SHARED_DATA / "transactions" / "olist_sample_15k"
    if not source.exists():
        pytest.skip(f"real data folder {source} is not available for the Olist line")
    target = folder / "exports" / "olist"
    shutil.copytree(source, target)


STAND_INS = {
    "shopkeeper ingest exports/olist/ --preset olist": _write_olist,
    "shopkeeper ingest 淘宝订单导出.csv": lambda d: _write_taobao(d / "淘宝订单导出.csv"),
    "shopkeeper ingest my_erp_export.xlsx --mapping my_erp.toml": _write_erp,
}
# Lines whose arguments are placeholders: the stand-in arguments come from the store.
PLACEHOLDER = "…"
CHAT_INPUT = {"shopkeeper chat": "where is my last order?\n我想退货\nquit\n",
              "shopkeeper guide": "a gift for my mum under 20 pounds\nquit\n"}


def _run(args: list[str], cwd: Path, stdin: str = "") -> subprocess.CompletedProcess:
    env = {**os.environ, "COLUMNS": "120", "NO_COLOR": "1"}
    return subprocess.run([str(EXE), *args], cwd=cwd, env=env, input=stdin,
                          capture_output=True, text=True, timeout=900)


@pytest.fixture(scope="module")
def demo_dir(demo_store) -> Path:
    return demo_store[0]


def test_the_tour_is_found_and_every_line_is_runnable():
    assert len(COMMANDS) >= 25, COMMANDS
    for command in COMMANDS:
        if command.split()[1] == "ingest":
            assert command in STAND_INS, f"README ingests files this test cannot stand in for: "\
                                         f"{command}"


def _draft_id(cwd: Path) -> str:
    listed = _run(["sql", "SELECT draft_id FROM content_drafts ORDER BY created_at DESC "
                          "LIMIT 1", "--csv"], cwd)
    assert listed.returncode == 0, listed.stderr
    ids = re.findall(r"\bcd-[0-9a-f]+\b", listed.stdout)
    assert ids, "no content draft to approve: " + listed.stdout
    return ids[0]


@pytest.mark.parametrize("command", COMMANDS, ids=[c[11:60] for c in COMMANDS])
def test_tour_command(command: str, demo_dir: Path):
    if command in STAND_INS:
        STAND_INS[command](demo_dir)
    args = shlex.split(command)[1:]
    if any(PLACEHOLDER in a for a in args):
        args = [_draft_id(demo_dir) if PLACEHOLDER in a else a for a in args]
    stdin = next((text for prefix, text in CHAT_INPUT.items() if command.startswith(prefix)),
                 "")
    result = _run(args, demo_dir, stdin)
    output = result.stdout + result.stderr
    expected = 1 if args[:2] == ["content", "check"] else 0   # the README says: exit 1
    assert result.returncode == expected, f"{command}\nexit {result.returncode}\n{output[-4000:]}"
    assert "Traceback" not in output, output[-4000:]
    assert "Error" not in result.stderr or expected, result.stderr[-2000:]
