"""Chinese for the demand review in the packets (sop/packets/briefing/review.py and the
templates): what supply is planned on, the approved revision, the value-added tables."""

from __future__ import annotations

EXACT: dict[str, str] = {
    "Demand review": "需求评审",
    "approved plan, revision {n}": "批准计划第{n}版",
    "Approved revision {n}: this packet again, planned on the approved consensus.":
        "批准后第{n}版：本简报按批准的共识计划重新发送。",
    "Naive: the same month last year": "朴素预测：去年同月", "Statistical forecast": "统计预测",
    "Sales' numbers": "销售部的数字", "Marketing's numbers": "市场部的数字", "Consensus": "共识",
    "Approved plan": "批准计划", "Step": "步骤", "Months scored": "评分月数",
    "Error (WAPE)": "加权绝对百分比误差",
    "Better than the statistical by": "优于统计预测", "Better than naive by": "优于朴素预测",
    "Forecast value added, one month ahead": "预测增值（提前一个月）",
    "Forecast value added, three months ahead": "预测增值（提前三个月）",
    "error as a share of actual units, all products; points of error":
        "误差占实际数量的比例，全部产品；单位：误差百分点",
    "No demand review scored yet: a review is scored once its months have actuals.":
        "尚无已评分的需求评审：评审月份有实际数据后才评分。",
    "Each step is compared with the statistical forecast on the months it exists for; "
    "positive points: the step made the forecast better.":
        "每个步骤在其存在的月份上与统计预测比较；正值表示该步骤使预测更准确。",
    "Did the adjustments help?": "调整是否有帮助？", "Submitted by": "提交人",
    "Months better": "改善月数", "Months worse": "变差月数",
    "Statistical, same months": "同月份的统计预测", "Value added": "增值",
    "all products, one month ahead": "全部产品，提前一个月",
    "the last six reviews scored": "最近六次已评分的评审", "No submission scored yet.": "尚无已评分的提交。",
}

TEMPLATES: dict[str, str] = {
    "reviews before {p}": "{p}之前的评审",
    "Planned on the {p} consensus, approved by {a} on {d} (revision {n}).":
        "按{p}共识计划，由{a}于{d}批准（第{n}版）。",
    "Planned on the statistical forecast: the {p} consensus is not approved yet.":
        "按统计预测计划：{p}共识尚未批准。",
    "{who}: adjustments improved the forecast by {x} points ({b} of {n} months better)":
        "{who}：调整使预测改善{x}个百分点（{n}个月中{b}个月更好）",
    "{who}: adjustments worsened the forecast by {x} points ({b} of {n} months better)":
        "{who}：调整使预测变差{x}个百分点（{n}个月中{b}个月更好）",
    "{who}: as accurate as the statistical forecast": "{who}：与统计预测同样准确",
}
