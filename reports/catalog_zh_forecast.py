"""Chinese for how the forecast was made (sop/packets/briefing/method.py, the reasons of
sop/forecast/reconcile_choice.py and the planning note of sop/forecast/hierarchy.py)."""

from __future__ import annotations

EXACT: dict[str, str] = {
    "How this forecast was made": "本次预测的方法", "Method": "方法", "Series": "序列数",
    "series forecast by each method": "各方法预测的序列数",
    "No method record for this forecast.": "本次预测无方法记录。",
    "Backtest: the same method on past months": "回测：同一方法用于过去月份",
    "scaled error (MASE): 1 = as far off as the same month last year was in the past; "
    "lower is better": "平均绝对标度误差：1 = 与过去用去年同月预测的误差相同；越低越好",
    "Error of this forecast (MASE)": "本预测的平均绝对标度误差",
    "Before the levels add up": "各层级协调前", "Same month last year": "去年同月",
    "Past forecasts": "过去预测次数", "Inside the 80% range": "落在80%区间内", "Too little history to backtest.": "历史太短，无法回测。",
    "categories": "品类", "regions": "区域", "the total": "总计",
    "exponential smoothing": "指数平滑", "the Theta method": "Theta方法", "ARIMA": "ARIMA模型",
    "complex exponential smoothing": "复指数平滑", "the same month last year": "去年同月",
    "Croston's method for occasional sales": "间歇需求的Croston方法",
    "occasional sales added up over time": "间歇需求按时间汇总",
    "no sales expected": "预计无销售",
    "recent level with its group's seasons": "近期水平乘以所属组的季节性",
    "the product forecasts added up": "产品预测逐级加总",
    "the total forecast shared out in proportion to the forecasts below it":
        "总预测按下级预测的比例分摊",
    "the category-by-region forecasts kept, shared out to products and added up above":
        "保留分区域品类预测，向下分摊到产品、向上加总",
    "all forecasts adjusted alike until they add up": "所有预测同等调整直至相加一致",
    "adjusted by how many products each figure covers": "按每个数字覆盖的产品数调整",
    "adjusted by how far each series erred in the past": "按各序列过去的误差大小调整",
    "adjusted by how far each series erred in the past and how their errors move together":
        "按各序列过去的误差大小及误差的相关性调整",
}

TEMPLATES: dict[str, str] = {
    "forecast made after {p}": "{p}之后所做的预测",
    "months before {p}": "{p}之前的月份",
    "the average of {a} and {b}": "{a}与{b}的平均",
    "the middle of {a} and {b}": "{a}与{b}的中位",
    "a weighted mix of {a} and {b}": "{a}与{b}的加权组合",
    "the average of {a}, {b} and {c}": "{a}、{b}与{c}的平均",
    "the middle of {a}, {b} and {c}": "{a}、{b}与{c}的中位",
    "a weighted mix of {a}, {b} and {c}": "{a}、{b}与{c}的加权组合",
    "the average of {n} methods": "{n}种方法的平均", "the middle of {n} methods": "{n}种方法的中位",
    "a weighted mix of {n} methods": "{n}种方法的加权组合",
    "{w}: it gave the lowest error over {n} past forecasts, {x} below {t}":
        "{w}：在过去{n}次预测中误差最低，比{t}低{x}",
    "{w}: as accurate over {n} past forecasts as {t}, and simpler":
        "{w}：在过去{n}次预测中与{t}同样准确，且更简单",
    "{w}: the only method tried": "{w}：唯一尝试的方法",
    "forecasts adjusted so that all levels add up: {r}": "预测经调整使各层级相加一致：{r}",
}
