"""A model choice's reason in Chinese.

``model_choices.reason`` is written in English by :mod:`.auto`, from a small set of sentences
with numbers and model names in them; :func:`reason_zh` renders each of those sentences in
Chinese, keeping the numbers and model names. A sentence it does not know stays in English
rather than being guessed at.
"""

from __future__ import annotations

import re

_UNITS = {"days": "天", "weeks": "周", "months": "个月", "periods": "期",
          "day": "天", "week": "周", "month": "个月", "period": "期"}
_U = r"(days|weeks|months|periods)"
_U1 = r"(day|week|month|period)"

# (pattern, Chinese template); applied to each "; "-separated part of a reason
_PARTS: tuple[tuple[str, str], ...] = (
    (r"no demand in the history: forecast is zero", "历史中没有需求：预测为零"),
    (rf"too short to backtest: history (\d+) {_U} < (\d+) \(training data plus one (\d+)-{_U1} "
     rf"window\)", r"历史太短，无法回测：历史 \1 \2 < \3（训练数据加一个 \4\5的回测窗口）"),
    (rf"mean demand over max\((\d+), (\d+)\) {_U}, interval from its spread",
     r"按 max(\1, \2) \3计算平均需求，区间取自其自身波动"),
    (r"check before ordering", "下单前请人工核对"),
    (rf"(\S+) gives no forecast for this series \(LightGBM needs (\d+) {_U} of history\): mean "
     r"demand over its history instead", r"\1 无法为该序列给出预测（LightGBM 需要 \2 \3历史）：改用历史平均需求"),
    (r"(\S+) gives no forecast for this series \(too little history for it\): mean demand over "
     r"its history instead", r"\1 无法为该序列给出预测（历史太短）：改用历史平均需求"),
    (rf"without the season of (\d+) {_U} \(history (\d+) < 2 seasons \+ a (\d+)-{_U1} window\)",
     r"不使用 \1 \2的季节周期（历史 \3 < 两个季节周期加一个 \4\5窗口）"),
    (rf"(\d+) backtest windows? of the (\d+) asked \(history (\d+) {_U}\)",
     r"只有 \1 个回测窗口（要求 \2 个；历史 \3 \4）"),
    (r"(\d+) missing dates? filled with 0 \(no sales\)", r"\1 个缺失日期按 0 填充（无销售）"),
    (r"no candidate produced a backtest score: (\S+) by default",
     r"没有候选模型得到回测分数：默认使用 \1"),
    (r"lowest backtest RMSE \(([\d.e+-]+)\) of (\d+) candidates",
     r"\2 个候选模型中回测 RMSE 最低（\1）"),
    (r"lowest backtest RMSE \(([\d.e+-]+)\), (\d+)% below the ensemble's \(([\d.e+-]+)\) and more "
     r"than (\d+)% below it in each of the (\d+) windows",
     r"回测 RMSE 最低（\1），比集成模型（\3）低 \2%，且在全部 \5 个窗口中都低 \4% 以上"),
    (r"(mean|median) of (.+) \(best for this demand class (over all backtest windows|in "
     r"backtest)\)",
     lambda m: f"{'均值' if m[1] == 'mean' else '中位数'}集成：{m[2].replace(', ', '、')}"
               f"（{'在全部回测窗口上' if m[3].startswith('over') else '回测中'}对该需求类型最好的模型）"),
    (r"backtest RMSE ([\d.e+-]+)", r"回测 RMSE \1"),
    (r"one backtest window: too few to prefer a single model for this series",
     "只有一个回测窗口：不足以为该序列改选单一模型"),
    (r"(\d+) backtest points: too few to prefer a single model \(at least (\d+)\)",
     r"只有 \1 个回测点：不足以改选单一模型（至少需要 \2 个）"),
    (r"no single model more than (\d+)% better in every one of the (\d+) windows",
     r"没有单一模型在全部 \2 个窗口中都好 \1% 以上"),
    # written by runs before the choice looked at every window
    (r"backtest RMSE ([\d.e+-]+), no single model more than (\d+)% better",
     r"回测 RMSE \1，没有单一模型好 \2% 以上"),
    (r"lowest backtest RMSE \(([\d.e+-]+)\), (\d+)% below the ensemble's \(([\d.e+-]+)\)",
     r"回测 RMSE 最低（\1），比集成模型（\3）低 \2%"),
)
_COMPILED = [(re.compile(rf"^{p}$"), t) for p, t in _PARTS]


def reason_zh(reason: str | None) -> str | None:
    """``reason`` in Chinese, part by part; an unknown part is kept as written."""
    if reason is None:
        return None
    parts = []
    for part in reason.split("; "):
        for pattern, template in _COMPILED:
            match = pattern.match(part)
            if match:
                text = template(match) if callable(template) else match.expand(template)
                parts.append(_units(text))
                break
        else:
            parts.append(part)
    return "；".join(parts)


def _units(text: str) -> str:
    """The English period words left by the templates' numbers, in Chinese."""
    return re.sub(r"(?<![A-Za-z_])(days|weeks|months|periods|day|week|month|period)(?![A-Za-z_])",
                  lambda m: _UNITS[m[1]], text)
