"""Chinese for the forecast-review workbook (reports/review_workbook.py): sheet names,
titles and instructions, headers, the reason labels (sop.consensus.model.REASONS) and their
meanings, and the data-validation messages. Change them together with that module."""

from __future__ import annotations

EXACT: dict[str, str] = {
    # sheets, title lines and instructions
    "Forecast review": "预测评审", "Reasons": "原因列表",
    "Fill “Your number” (units for the whole group in the month) or “Change (%)” against the "
    "statistical forecast, pick a reason and add a comment (needed for “Other”); rows left "
    "blank change nothing.":
        "填写“您的数字”（该组当月的总数量，单位：件）或“调整幅度（%）”（相对统计预测），"
        "选择原因并填写备注（选“其他”时必填）；留空的行不做任何更改。",
    "To adjust another level (the total, a category, a region, a customer, a product, or a "
    "product in a region), fill an empty row at the bottom and leave a key blank for “all”; "
    "only the yellow cells can be changed.":
        "如需调整其他层级（合计、品类、区域、客户、产品或某区域的某产品），请填写底部的空行，"
        "某项留空即表示“全部”；只有黄色单元格可以修改。",
    # headers (Category, Region, Customer, Product, Month and Reason are in catalog_zh)
    "Statistical forecast (units)": "统计预测（件）", "Statistical revenue": "统计预测收入",
    "Last year (units)": "去年同期（件）", "Budget (units)": "预算（件）",
    "Budget revenue": "预算收入", "Your number (units)": "您的数字（件）",
    "Change (%)": "调整幅度（%）", "Comment": "备注", "Meaning": "说明",
    # reason labels (sop.consensus.model.REASONS)
    "Promotion or campaign": "促销或营销活动", "Customer order or commitment": "客户订单或承诺",
    "New customer or listing": "新客户或新上架", "Lost customer or delisting": "客户流失或下架",
    "Price change": "价格调整", "Market trend": "市场趋势",
    "New product or phase-out": "新品上市或产品退市", "Supply constraint": "供应受限",
    "Other (say why in the comment)": "其他（请在备注中说明原因）",
    # what each reason means (reports.review_workbook.REASON_MEANINGS)
    "A promotion, campaign or event moves demand in the month.": "促销、营销活动或展会使当月需求变化。",
    "A customer has ordered, committed or announced a quantity.": "客户已下单、承诺或告知数量。",
    "A new customer, outlet or listing adds demand.": "新客户、新网点或新上架带来新增需求。",
    "A customer stops buying, or a product is delisted.": "客户停止采购，或产品下架。",
    "A price change, ours or a competitor's, moves demand.": "价格调整（我方或竞争对手）影响需求。",
    "The market or the season moves unlike the history.": "市场或季节走势与历史不同。",
    "A product is launched, replaced or phased out.": "产品上市、替换或退市。",
    "No more than this number can be supplied.": "供应能力有限，无法超过此数量。",
    "Anything else; the comment says why.": "其他原因，须在备注中说明。",
    # data-validation messages
    "Pick a reason from the list.": "请从列表中选择原因。",
    "Pick a month from the list.": "请从列表中选择月份。",
    "Pick a name from the list.": "请从列表中选择名称。",
    "Enter units, 0 or more.": "请输入不小于0的数量（件）。",
    "Enter a change in percent, -100 or more.": "请输入不小于-100的百分比。",
}

TEMPLATES: dict[str, str] = {
    "Forecast review for {department}, {month}": "{department}预测评审，{month}",
}
