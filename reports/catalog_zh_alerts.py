"""Chinese for the alert texts, group names and actions that sop/alerts writes in English.

Templates match a whole text; `{slot}`s are names and figures from the data, translated in
turn (a slot may itself be a text with a template, such as "Audio RK-529 at Sydney"). Texts
joined with "; " are translated part by part. Each template mirrors one f-string of
sop/alerts/{stock,demand,supply,credit,actions,groups}.py: change them together.
"""

from __future__ import annotations

EXACT: dict[str, str] = {
    "minor": "次要",
    # value bases (sop/alerts/impact.py)
    "revenue at risk": "风险收入", "stock to rebuild, at cost": "需补足的库存（按成本）",
    "stock above the cover bound, at cost": "超出覆盖上限的库存（按成本）",
    "revenue gap to budget": "与预算的收入差距", "revenue off forecast": "偏离预测的收入",
    "revenue at risk of the products it blocks": "受其影响产品的风险收入",
    "open purchases from a late supplier": "延迟供应商的未结采购",
    "extra cost on recent orders": "近期订单的额外成本",
    "exposure above the credit limit": "超出信用额度的敞口", "unpaid balance": "未付余额",
    "not valued": "未估值",
    # actions without figures (sop/alerts/actions.py)
    "Review the production plan for this product": "复核该产品的生产计划",
    "Review the category's production plan with sales": "与销售部复核该品类的生产计划",
    "Review open orders with the supplier": "与供应商复核未结订单",
    "Renegotiate the price before the next order": "在下次下单前重新议价",
    "Review the credit limit": "复核信用额度",
    "Cut planned production of this product": "削减该产品的计划产量",
    "Review the category's forecast in the demand review, or re-phase its budget":
        "在需求评审中复核该品类预测，或调整其预算分期",
    "Review the category's forecast with sales before the supply plan follows it":
        "在供应计划跟进之前，与销售部复核该品类预测",
    "ask for a faster delivery or cut the products it blocks": "要求加急交货，或削减受影响的产品",
    "too late for a new order": "新下订单已来不及",
    "as good as the naive forecast": "与朴素预测相当",
    # labels (sop/packets/briefing/finance.py, supply.py)
    "Days since invoice": "开票后天数", "Of it past due": "其中已逾期", "In words": "结论",
    "Forecast accuracy by category": "各品类预测准确率",
    "Against the naive forecast": "对比朴素预测",
    # procurement (sop/packets/briefing/procurement.py)
    "Which supplier delivers which material": "各物料由哪些供应商供货", "Avg price": "平均价格",
    "Market prices against prices paid": "市场价格与采购价格对比", "Market index": "市场指数",
    "No market prices recorded.": "没有市场价格记录。",
    "Market, last 3 m": "近3月市场价", "Market change": "市场价变化", "Paid, last 3 m": "近3月采购价",
    "Paid change": "采购价变化", "Paid over market": "高于市场价", "Cost above the market's move":
        "超出市场变动的成本", "cost above the market's move": "超出市场变动的成本",
    "currency units per material unit; market = the index's monthly average":
        "每物料单位的货币单位；市场价 = 指数的月均值",
    "Cost above the market's move = quantity ordered in the last 3 months x (price paid now - "
    "the earlier price paid moved as the market moved); below zero when the price paid rose "
    "less than the market.": "超出市场变动的成本 = 近3个月订购数量 × （当前采购价 − 按市场变动调整后的此前采购价）；"
                             "采购价涨幅小于市场时为负。",
    "Share of the material": "占该物料比例",
    "each material's unit; price in currency units per unit, quantity-weighted":
        "各物料的计量单位；价格为每单位货币单位，按数量加权",
    "On time in full: the supplier's lines of that material promised in those months, "
    "received by the promised date and in full.": "准时足量：该供应商该物料在这些月份承诺交货的订单行，"
                                                  "按承诺日期足量到货。",
    # marketing (sop/packets/briefing/promotions.py)
    "Promotion results over their baseline, net of their cost, the promotions of the next "
    "three months, the product mix against the budget mix, new products and category trends.":
        "促销相对基线的效果（扣除成本后）、未来三个月的促销、产品组合对比预算组合、新产品与品类趋势。",
    "Each promotion's results: in the attached PDF and workbook.": "各项促销的效果：见所附PDF与工作簿。",
    "Promotion results by category and kind": "按品类与类型的促销效果",
    "Promotions run": "促销次数", "budget in currency units": "预算单位：货币单位", "Cost": "成本", "Incremental units": "增量数量",
    "Incremental revenue": "增量收入", "Incremental margin": "增量毛利", "Net of cost": "扣除成本后",
    "ROI": "投资回报率", "Promotions of the next three months": "未来三个月的促销",
    "Uplift the plan assumes": "计划假设的提升",
    "No promotion starts in the next three months.": "未来三个月没有促销开始。",
    "currency units; units over the baseline": "货币单位；数量为超出基线的件数",
    "Incremental = units during the promotion less the baseline (see the list), at the average "
    "price and margin of those orders; net = incremental margin less the promotion's cost; "
    "ROI = net / cost.": "增量 = 促销期间数量减去基线（见明细），按这些订单的平均价格与毛利计算；"
                         "扣除成本后 = 增量毛利减去促销成本；投资回报率 = 扣除成本后 / 成本。",
    "The uplift is the budget's promotion plan (the category's past uplift); the statistical "
    "forecast itself carries no promotion effect beyond seasonality.":
        "提升取自预算的促销计划（该品类以往的提升）；统计预测本身除季节性外不含促销效应。",
}

TEMPLATES: dict[str, str] = {
    # names (sop/names.py)
    "{name}, invoice {invoice}": "{name}，发票{invoice}",
    # group names (sop/alerts/groups.py)
    "{name}: supply short of demand": "{name}：供应不足以满足需求",
    "{name}: material shortage": "{name}：物料短缺",
    "{name}: late deliveries": "{name}：交货延迟",
    "{name}: over credit limit": "{name}：超出信用额度",
    "{name}: demand off forecast for months running": "{name}：需求连续数月偏离预测",
    "{name}: {n} problem invoice(s)": "{name}：{n}张问题发票",
    # finished-goods rules (sop/alerts/stock.py)
    "{what} runs out in {m}: projected balance {c} units after demand {d} and receipts {r} "
    "units from now": "{what}将于{m}缺货：计及需求{d}件与到货{r}件后，预计结存{c}件",
    "{what} falls below safety stock in {m}: projected {c} vs safety stock {s} units":
        "{what}将于{m}低于安全库存：预计{c}件，安全库存{s}件",
    "{what} holds {w} weeks of supply in {m} (bound {b}): {c} units against {d} units of "
    "demand over 3 months": "{what}于{m}可供{w}周（上限{b}周）：库存{c}件，未来3个月需求{d}件",
    "{cat}: supply for the next 3 months is {x} units ({p}% of demand) short of demand plus "
    "safety stock: demand {d}, planned production {r}, projected stock {c} vs safety stock {s}; "
    "recent demand {g}% year on year": "{cat}：未来3个月供应比需求加安全库存少{x}件（需求的{p}%）："
    "需求{d}，计划产量{r}，预计库存{c}，安全库存{s}；近期需求同比{g}%",
    # demand rules (sop/alerts/demand.py)
    "{cat}: the forecast for {a} to {b} is {x}% above budget ({f} vs {bud} in revenue)":
        "{cat}：{a}至{b}的预测高于预算{x}%（收入{f}对比{bud}）",
    "{cat}: the forecast for {a} to {b} is {x}% below budget ({f} vs {bud} in revenue)":
        "{cat}：{a}至{b}的预测低于预算{x}%（收入{f}对比{bud}）",
    "{cat}: demand in {p} was {x}% above last month's forecast ({a} vs {f} units)":
        "{cat}：{p}需求比上月预测高{x}%（{a}件对比{f}件）",
    "{cat}: demand in {p} was {x}% below last month's forecast ({a} vs {f} units)":
        "{cat}：{p}需求比上月预测低{x}%（{a}件对比{f}件）",
    "{cat}: demand has been above forecast by more than {t}% for {n} months running ({list})":
        "{cat}：需求已连续{n}个月高于预测超过{t}%（{list}）",
    "{cat}: demand has been below forecast by more than {t}% for {n} months running ({list})":
        "{cat}：需求已连续{n}个月低于预测超过{t}%（{list}）",
    # material rules (sop/alerts/supply.py)
    "{mat} runs short in {m} by {x}: requirement {r} through {m2} against stock {s} and open "
    "orders {o}, {when}.": "{mat}将于{m}短缺{x}：截至{m2}需求{r}，库存{s}，未结订单{o}；{when}。",
    "{mat} runs short in {m} by {x}: requirement {r} through {m2} against stock {s} and open "
    "orders {o}, {when}; {why}.": "{mat}将于{m}短缺{x}：截至{m2}需求{r}，库存{s}，未结订单{o}；"
                                  "{when}；{why}。",
    "within its {n}-day lead time, too late for a new order": "在其{n}天交期之内，新下订单已来不及",
    "beyond its {n}-day lead time": "超出其{n}天交期",
    "{x} of it because deliveries running {d} days over contract push open orders back":
        "其中{x}是因为交货比合同晚{d}天，使未结订单推迟",
    "{what} now takes {d} days from order to receipt (median of {n} lines received {win}), "
    "{dd} days ({pp}%) over {base}.": "{what}从下单到收货现需{d}天（{win}收货的{n}行的中位数），"
                                      "比{base}多{dd}天（{pp}%）。",
    "its {n}-day contract lead time": "其{n}天合同交期",
    "its trailing median of {n} days ({win})": "其此前中位数{n}天（{win}）",
    "{mat} costs {p}% more: {rp} per {u} on orders placed {win} against {ep} in {win2} ({q} "
    "{u2} ordered recently).": "{mat}价格上涨{p}%：{win}所下订单每{u}{rp}，{win2}为{ep}"
                               "（近期订购{q}{u2}）。",
    "{text} The market ({idx}) moved {m}%.": "{text}市场（{idx}）同期变动{m}%。",
    "{mat}: the price paid moved {p}% ({rp} per {u} on orders placed {win} against {ep} in "
    "{win2}) while the market ({idx}) moved {m}%; it now pays {pr}% over the market.":
        "{mat}：采购价变动{p}%（{win}所下订单每{u}{rp}，{win2}为{ep}），而市场（{idx}）变动{m}%；"
        "目前比市场价高{pr}%。",
    # sales-administration rules (sop/alerts/credit.py)
    "{name} is over its credit limit: exposure {e} (open orders {o}, unpaid invoices {u}) "
    "against a limit of {lim}, {x} over": "{name}超出信用额度：敞口{e}（未交订单{o}，未付发票{u}），"
                                        "额度{lim}，超出{x}",
    "Invoice {id} to {name}: {b} unpaid ({issue}, {n} days past due)":
        "开给{name}的发票{id}：未付{b}（{issue}，逾期{n}天）",
    "Invoice {id} to {name}: {b} unpaid ({n} days past due)":
        "开给{name}的发票{id}：未付{b}（逾期{n}天）",
    # actions (sop/alerts/actions.py)
    "Transfer {q} units from {w} by {m}": "于{m}前从{w}调拨{q}件",
    "transfer {q} units from {w} by {m}": "于{m}前从{w}调拨{q}件",
    "Plan {parts}": "计划{parts}", "plan {parts}": "计划{parts}",
    "{q} on line {line} in {m}": "{m}在产线{line}生产{q}件",
    "{n} more month(s) on the planned production sheet": "另有{n}个月见计划生产表",
    "line {line} is {q} units short of capacity in {m}": "产线{line}于{m}产能缺口{q}件",
    "Plan {q} more units of {n} product(s) over {a} to {b} (the planned production sheet)":
        "{a}至{b}追加计划{n}个产品共{q}件（见计划生产表）",
    "lines {lines} lack {q} units of capacity": "产线{lines}产能缺口{q}件",
    "transfer {q} units between warehouses": "仓库间调拨{q}件",
    "Expedite order {po} from {s} ({q}) by {d} days, to {date}":
        "催交{s}的订单{po}（{q}），提前{d}天至{date}",
    "expedite order {po} from {s} ({q}) by {d} days, to {date}":
        "催交{s}的订单{po}（{q}），提前{d}天至{date}",
    "Order {q} from {s} for {m}, the first by {d}": "向{s}订购{q}，用于{m}，最晚于{d}下单",
    "order {q} from {s} for {m}, the first by {d}": "向{s}订购{q}，用于{m}，最晚于{d}下单",
    "Order {q} from {s} for {m}, the first now": "立即向{s}订购{q}，用于{m}",
    "order {q} from {s} for {m}, the first now": "立即向{s}订购{q}，用于{m}",
    "Order {q} from {s} in {n} orders for {a} to {b}, the first by {d}":
        "向{s}分{n}单订购{q}，用于{a}至{b}，首单最晚于{d}下单",
    "order {q} from {s} in {n} orders for {a} to {b}, the first by {d}":
        "向{s}分{n}单订购{q}，用于{a}至{b}，首单最晚于{d}下单",
    "Order {q} from {s} in {n} orders for {a} to {b}, the first now":
        "立即向{s}分{n}单订购{q}，用于{a}至{b}",
    "order {q} from {s} in {n} orders for {a} to {b}, the first now":
        "立即向{s}分{n}单订购{q}，用于{a}至{b}",
    "{q} of it cannot arrive within the lead time: {rest}": "其中{q}无法在交期内到货：{rest}",
    "{n} later planned order(s) on the planned purchases sheet": "另有{n}张后续计划订单见计划采购表",
    "{text} (other suppliers: {alt})": "{text}（其他供应商：{alt}）",
    "the market ({idx}) moved {m}%": "市场（{idx}）变动{m}%",
    "Renegotiate the price to follow {idx} before the next order": "在下次下单前按{idx}重新议价",
    "other suppliers: {alt}": "其他供应商：{alt}",
    "Confirm delivery dates of the open orders ({q} units) with the supplier and plan with "
    "{d}-day lead times until they improve": "与供应商确认未结订单（{q}件）的交货日期，"
                                            "在改善之前按{d}天交期计划",
    "Hold open orders worth {h}; release them once {c} of unpaid invoices is collected":
        "暂停金额{h}的未交订单；收回{c}未付发票后放行",
    "Settle the {issue} invoice with {c} (sales to confirm the claim)":
        "与{c}解决{issue}发票（由销售部确认索赔）",
    "Chase payment from {c}: {n} days overdue": "催收{c}的欠款：已逾期{n}天",
    "Cut planned production by {u} units (about {w} weeks of demand) or move the stock to "
    "another warehouse": "削减计划产量{u}件（约{w}周需求），或将库存调往其他仓库",
    # planning notes (sop/forecast, sop/planning): the lists in them are names from the data
    "{rule}: {n} series ({names})": "{rule}：{n}个序列（{names}）",
    "{names} and {n} more": "{names}等，另有{n}个",
    "under {n} months of history, so recent level x the group's seasonal profile":
        "历史不足{n}个月：按近期水平乘以所属组的季节性",
    "no sales at all, or none in the recent months, so forecast 0": "没有销售或近几个月无销售，因此预测为0",
    "rows without a unique_id or a valid month were dropped": "缺少序列编号或月份无效的行已剔除",
    "missing values were read as 0 (no recorded sales)": "缺失值按0计（无销售记录）",
    "negative values (returns above sales) were clipped to 0": "负值（退货多于销售）按0计",
    "several rows of one month were summed": "同一月份的多行已合计",
    "months without a row were filled with 0 (no sales)": "无记录的月份按0补齐（无销售）",
    "rows after the forecast origin were ignored": "预测起点之后的行已忽略",
    "forecasts adjusted so that products, categories, regions and the total add up ({how}) "
    "over {n} series, {m} of them {level}": "预测已调整，使产品、品类、区域与总计相互吻合（{how}），"
                                           "共{n}个序列，其中{m}个为{level}",
    "weighted by how far each level's forecasts erred in the past": "按各层级过去的预测误差加权",
    "weighted by how far each series' forecasts erred in the past": "按各序列过去的预测误差加权",
    "weighted by how many products each figure covers": "按各数字涵盖的产品数量加权",
    "every level weighted alike": "各层级同等加权", "the product forecasts added up": "由产品预测加总",
    "products by region": "分区域产品", "categories by region": "分区域品类",
    "each range moves with its adjusted forecast": "各预测区间随调整后的预测平移",
    "the preferred adjustment could not be computed ({why}), so {rest}":
        "首选调整方法无法计算（{why}），因此{rest}",
    "no budget for {y}: {why}": "{y}年无预算：{why}",
    "{n} sku x region forecast value(s) missing, left out of material requirements: {names}":
        "{n}个SKU x 区域预测值缺失，未计入物料需求：{names}",
    "{n} negative forecast value(s) counted as 0 in material requirements":
        "{n}个负预测值在物料需求中按0计",
    "{n} BOM row(s) without material or quantity per unit, excluded: {names}":
        "{n}行物料清单缺少物料或单位用量，已剔除：{names}",
    "{n} sku(s) with a forecast but no bill of materials, left out of material requirements: "
    "{names}": "{n}个SKU有预测但无物料清单，未计入物料需求：{names}",
    "{n} material stock row(s) for materials missing from the material master, excluded: "
    "{names}": "{n}行物料库存的物料不在物料主数据中，已剔除：{names}",
    "{n} material stock row(s) with missing quantities, counted as 0: {names}":
        "{n}行物料库存数量缺失，按0计：{names}",
    "{n} open purchase order line(s) without a promised date, left out of scheduled receipts: "
    "{names}": "{n}行未结采购订单无承诺交期，未计入计划到货：{names}",
    "{n} material(s) needed but without a supplier lead time (no purchase order, or supplier "
    "missing from the master), planned with lead time 0: {names}":
        "{n}种物料有需求但无供应商交期（无采购订单，或供应商不在主数据中），按交期0计划：{names}",
    "material(s) in the bill of materials but missing from the material master, kept in the "
    "balance: {names}": "物料清单中有但物料主数据中缺失的物料，保留在平衡表中：{names}",
    "{n} material(s) whose latest purchase order is from a supplier missing from the supplier "
    "master, so no lead time: {names}": "{n}种物料的最新采购订单来自供应商主数据中缺失的供应商，"
                                         "因此无交期：{names}",
    "{n} material(s) whose supplier has no contract lead time and no receipts, so no lead time: "
    "{names}": "{n}种物料的供应商既无合同交期也无到货记录，因此无交期：{names}",
    # forecast value added in words (sop/packets/briefing/finance.py)
    "beat the naive forecast by {x} points": "比朴素预测好{x}个百分点",
    "did worse than the naive forecast by {x} points": "比朴素预测差{x}个百分点",
    # the packet's folded line (sop/packets/briefing/alerts.py)
    "{n} minor alert(s) below materiality, {v} at stake in all, are in the workbook only":
        "{n}条低于重要性门槛的次要预警（合计涉及{v}）仅列于工作簿",
    "{n} of {m} alert groups shown, the workbook lists all": "显示{m}个预警组中的{n}个，工作簿列出全部",
}
