"""Chinese for the data-quality lines of the packets (sop/quality/notes.py writes them in
English): the records and fields in words, and one template per line shape. Change them
together with sop/quality/notes.py."""

from __future__ import annotations

EXACT: dict[str, str] = {
    # records (sop.quality.notes.RECORDS)
    "products": "产品", "customers": "客户", "warehouses": "仓库", "sales order lines": "销售订单行",
    "shipment lines": "发货行", "returns": "退货", "invoices": "发票",
    "distributor stock reports": "经销商库存报告", "promotions": "促销", "stock records": "库存记录",
    "materials": "物料", "bill-of-materials lines": "物料清单行", "suppliers": "供应商",
    "purchase-order lines": "采购订单行", "production plan lines": "生产计划行",
    "maintenance windows": "检修窗口", "shipping plan lines": "发运计划行", "market prices": "市场价格",
    # fields (sop.quality.notes.field_name)
    "allocated": "已分配", "amount": "金额", "amount paid": "已付金额", "budget": "预算",
    "capacity lost": "损失产能", "category": "品类", "channel": "渠道", "contract lead time": "合同交期",
    "credit limit": "信用额度", "customer": "客户", "due date": "到期日", "end date": "结束日期",
    "family": "产品族", "in transit": "在途", "index name": "指数名称", "invoice": "发票",
    "invoice date": "开票日期", "item": "物品", "item type": "物品类型", "kind": "类型",
    "launch date": "上市日期", "production line": "生产线", "line number": "行号", "material": "物料",
    "name": "名称", "order": "订单", "order date": "下单日期", "paid date": "付款日期", "period": "期间",
    "plan week": "计划周", "planned quantity": "计划数量", "purchase order": "采购订单", "price": "价格",
    "product": "产品", "promised date": "承诺日期", "promotion": "促销", "quantity": "数量",
    "quantity per unit": "单位用量", "quantity received": "到货数量", "quantity sold": "售出数量",
    "reason": "原因", "received date": "到货日期", "region": "区域", "requested date": "要求交货日期",
    "return": "退货", "return date": "退货日期", "safety stock": "安全库存", "ship date": "发货日期",
    "ship week": "发运周", "shipment": "发货单", "snapshot date": "快照日期", "start date": "开始日期",
    "status": "状态", "stock on hand": "在库数量", "stock quantity": "库存数量", "supplier": "供应商",
    "unit": "单位", "unit cost": "单位成本", "unit price": "单价", "warehouse": "仓库", "value": "数值",
    "values": "数值", "number": "数字", "whole number": "整数", "date": "日期",
}

TEMPLATES: dict[str, str] = {
    "{n} of {total} {what}: {col} missing": "{what}中有{n}条（共{total}条）缺少{col}",
    "{n} of {total} {what}: {col} not a valid {kind}": "{what}中有{n}条（共{total}条）的{col}不是有效的{kind}",
    "{n} of {total} {what}: unknown {col} ({values})": "{what}中有{n}条（共{total}条）的{col}未知（{values}）",
    "{n} of {total} {what}: unknown {col}": "{what}中有{n}条（共{total}条）的{col}未知",
    "{n} of {total} {what}: {col} out of the allowed range": "{what}中有{n}条（共{total}条）的{col}超出允许范围",
    "{n} of {total} {what}: duplicate references": "{what}中有{n}条（共{total}条）编号重复",
    "{n} of {total} {what}: {col} before the {col2}": "{what}中有{n}条（共{total}条）的{col}早于{col2}",
    "{n} of {total} {what}: {col} not in the list of {master}":
        "{what}中有{n}条（共{total}条）的{col}不在{master}清单中",
    "{n} of {total} {what}: dated before their order": "{what}中有{n}条（共{total}条）的日期早于其订单",
    "{n} of {total} {what}: a data check failed": "{what}中有{n}条（共{total}条）未通过数据检查",
    "Newest {what} dated {d}, before the period": "最新的{what}日期为{d}，早于本期",
    "No {what} dated on or before the period": "没有本期或之前日期的{what}",
    "No {what} recorded": "没有{what}记录",
    "Number of {what} outside the usual band: {a} against {b} in the last run":
        "{what}数量超出正常范围：{a}，上次运行为{b}",
    "for example {keys}": "例如{keys}",
    "{n} of {total} {what}: set aside and left out of the plan (problem with {cols}); the data "
    "team has the list": "{what}中有{n}条（共{total}条）已被隔离，未纳入计划（{cols}有问题）；清单在数据团队",
}
