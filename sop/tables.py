"""The pipeline's own tables (the "warehouse"), declared once with SQLAlchemy Core.

Every table is keyed by business keys so that re-running a period replaces rows instead of
adding them (sop.warehouse writes them). The demand review's tables are at the end.
"""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()

runs = sa.Table(
    "sop_runs", metadata,
    sa.Column("run_id", sa.String(64), primary_key=True),
    sa.Column("period", sa.String(7), nullable=False, index=True),
    sa.Column("flow", sa.String(64), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("started_at", sa.DateTime, nullable=False),
    sa.Column("finished_at", sa.DateTime),
    sa.Column("config_hash", sa.String(64)),
    sa.Column("code_version", sa.String(64)),
    sa.Column("snapshot_hash", sa.String(64)),
    sa.Column("snapshot", sa.Text),  # json: per dataset row count and max date
    sa.Column("message", sa.Text),
)

leases = sa.Table(  # one run per (flow, period) at a time
    "sop_leases", metadata,
    sa.Column("flow", sa.String(64), primary_key=True),
    sa.Column("period", sa.String(7), primary_key=True),
    sa.Column("run_id", sa.String(64), nullable=False),
    sa.Column("acquired_at", sa.DateTime, nullable=False),
    sa.Column("expires_at", sa.DateTime, nullable=False),
)

dq_results = sa.Table(
    "sop_dq_results", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("run_id", sa.String(64), nullable=False, index=True),
    sa.Column("period", sa.String(7), nullable=False, index=True),
    sa.Column("dataset", sa.String(64), nullable=False),
    sa.Column("expectation", sa.String(128), nullable=False),
    sa.Column("column_name", sa.String(128)),
    sa.Column("severity", sa.String(16), nullable=False),
    sa.Column("success", sa.Boolean, nullable=False),
    sa.Column("element_count", sa.BigInteger),
    sa.Column("unexpected_count", sa.BigInteger),
    sa.Column("sample_keys", sa.Text),
    sa.Column("checked_at", sa.DateTime, nullable=False),
)

forecasts = sa.Table(
    "sop_forecasts", metadata,
    sa.Column("period", sa.String(7), nullable=False),  # as-of month of the forecast run
    sa.Column("run_id", sa.String(64), nullable=False),
    sa.Column("level", sa.String(32), nullable=False),
    sa.Column("unique_id", sa.String(200), nullable=False),
    sa.Column("region", sa.String(100)),
    sa.Column("category", sa.String(100)),
    sa.Column("sku", sa.String(64)),
    sa.Column("ds", sa.Date, nullable=False),
    sa.Column("forecast", sa.Float, nullable=False),
    sa.Column("lo_80", sa.Float), sa.Column("hi_80", sa.Float),
    sa.Column("lo_95", sa.Float), sa.Column("hi_95", sa.Float),
    sa.Column("model", sa.String(64)),
    sa.Column("revenue", sa.Float),
    sa.Column("snaive", sa.Float),  # the seasonal-naive benchmark for the same month
    sa.PrimaryKeyConstraint("period", "unique_id", "ds"),
)

budgets = sa.Table(
    "sop_budgets", metadata,
    sa.Column("version_id", sa.String(64), nullable=False),
    sa.Column("year", sa.Integer, nullable=False),
    sa.Column("approved", sa.Boolean, nullable=False, default=False),
    sa.Column("ds", sa.Date, nullable=False),
    sa.Column("region", sa.String(100), nullable=False),
    sa.Column("category", sa.String(100), nullable=False),
    sa.Column("qty", sa.Float, nullable=False),
    sa.Column("revenue", sa.Float, nullable=False),
    sa.PrimaryKeyConstraint("version_id", "ds", "region", "category"),
)

balances = sa.Table(
    "sop_balances", metadata,
    sa.Column("period", sa.String(7), nullable=False),
    sa.Column("run_id", sa.String(64), nullable=False),
    sa.Column("sku", sa.String(64), nullable=False),
    sa.Column("warehouse_id", sa.String(64), nullable=False),
    sa.Column("ds", sa.Date, nullable=False),
    sa.Column("opening", sa.Float, nullable=False),
    sa.Column("receipts", sa.Float, nullable=False),
    sa.Column("demand", sa.Float, nullable=False),
    sa.Column("closing", sa.Float, nullable=False),
    sa.Column("safety_stock", sa.Float, nullable=False),
    sa.Column("weeks_of_supply", sa.Float),
    sa.PrimaryKeyConstraint("period", "sku", "warehouse_id", "ds"),
)

alerts = sa.Table(
    "sop_alerts", metadata,
    sa.Column("alert_key", sa.String(200), primary_key=True),
    sa.Column("rule", sa.String(64), nullable=False),
    sa.Column("entity", sa.String(200), nullable=False),
    sa.Column("severity", sa.String(16), nullable=False),
    sa.Column("state", sa.String(16), nullable=False),  # open, acknowledged, resolved
    sa.Column("message", sa.Text, nullable=False),
    sa.Column("figures", sa.Text),  # json
    sa.Column("cause", sa.String(32)),
    sa.Column("owners", sa.String(200)),  # comma-separated departments
    sa.Column("first_seen", sa.String(7), nullable=False),
    sa.Column("last_seen", sa.String(7), nullable=False),
    sa.Column("pushed_severity", sa.String(16)),
    sa.Column("updated_at", sa.DateTime, nullable=False),
)

deliveries = sa.Table(
    "sop_deliveries", metadata,
    sa.Column("period", sa.String(7), nullable=False),
    sa.Column("department", sa.String(32), nullable=False),
    sa.Column("recipient", sa.String(254), nullable=False),
    sa.Column("subject", sa.String(200), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),  # pending, sent, failed
    sa.Column("attempts", sa.Integer, nullable=False, default=0),
    sa.Column("message_id", sa.String(200), nullable=False),
    sa.Column("channel", sa.String(16), nullable=False),  # smtp, file
    sa.Column("location", sa.Text),  # eml path when written to file
    sa.Column("last_error", sa.Text),
    sa.Column("sent_at", sa.DateTime),
    sa.PrimaryKeyConstraint("period", "department", "recipient"),
)

quarantine = sa.Table(  # rows set aside by the data-quality gate (datasets on_error: quarantine)
    "sop_quarantine", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("run_id", sa.String(64), nullable=False, index=True),
    sa.Column("period", sa.String(7), nullable=False, index=True),
    sa.Column("dataset", sa.String(64), nullable=False),
    sa.Column("row_key", sa.Text, nullable=False),
    sa.Column("reasons", sa.Text, nullable=False),
    sa.Column("row_data", sa.Text),  # json: the row as extracted
    sa.Column("quarantined_at", sa.DateTime, nullable=False),
)


alert_pushes = sa.Table(
    "sop_alert_pushes", metadata,
    sa.Column("push_key", sa.String(250), primary_key=True),  # alert|occurrence|event|channel
    sa.Column("alert_key", sa.String(200), nullable=False, index=True),
    sa.Column("occurrence", sa.String(7), nullable=False),  # the alert's first_seen period
    sa.Column("event", sa.String(32), nullable=False),  # raised, escalated:<sev>, resolved
    sa.Column("channel", sa.String(120), nullable=False),  # webhook, prefect, email:<addr>
    sa.Column("severity", sa.String(16), nullable=False),
    sa.Column("pushed_at", sa.DateTime, nullable=False),
)

coordination_items = sa.Table(  # the cross-department work forms (sop/items/model.py)
    "sop_items", metadata,
    sa.Column("item_id", sa.String(32), primary_key=True),  # CI-<period>-<nnn>
    sa.Column("period", sa.String(7), nullable=False, index=True),  # period raised
    sa.Column("requesting", sa.String(32), nullable=False),
    sa.Column("responsible", sa.String(32), nullable=False),
    sa.Column("requirement", sa.Text, nullable=False),
    sa.Column("due", sa.Date, nullable=False),
    sa.Column("standard", sa.Text, nullable=False),
    sa.Column("owner", sa.String(254), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),  # draft signed done verified cancelled
    sa.Column("created_by", sa.String(254), nullable=False),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("requesting_signed_by", sa.String(254)),
    sa.Column("requesting_signed_at", sa.DateTime),
    sa.Column("responsible_signed_by", sa.String(254)),
    sa.Column("responsible_signed_at", sa.DateTime),
    sa.Column("outcome", sa.Text),
    sa.Column("alert_key", sa.String(200), index=True),
    sa.Column("done_at", sa.DateTime),
    sa.Column("verified_at", sa.DateTime),
    sa.Column("revision", sa.Integer, nullable=False, default=0),  # optimistic lock
)

item_counters = sa.Table(  # the last item number given per period (serialises new ids)
    "sop_item_counters", metadata,
    sa.Column("period", sa.String(7), primary_key=True),
    sa.Column("last_number", sa.Integer, nullable=False),
)

item_history = sa.Table(  # every change of an item: who, when, what
    "sop_item_history", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("item_id", sa.String(32), nullable=False, index=True),
    sa.Column("at", sa.DateTime, nullable=False),
    sa.Column("actor", sa.String(254), nullable=False),
    sa.Column("action", sa.String(16), nullable=False),  # add sign done verify cancel
    sa.Column("from_status", sa.String(16)),
    sa.Column("to_status", sa.String(16), nullable=False),
    sa.Column("note", sa.Text),
)

item_reminders = sa.Table(  # reminders sent, once per (item, kind)
    "sop_item_reminders", metadata,
    sa.Column("item_id", sa.String(32), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),  # due_soon, overdue
    sa.Column("recipients", sa.Text, nullable=False),
    sa.Column("channel", sa.String(16), nullable=False),  # smtp, file
    sa.Column("message_id", sa.String(200), nullable=False),
    sa.Column("location", sa.Text),
    sa.Column("sent_at", sa.DateTime, nullable=False),
    sa.PrimaryKeyConstraint("item_id", "kind"),
)

accuracy = sa.Table(
    "sop_accuracy", metadata,  # errors of earlier forecast runs, measured each cycle
    sa.Column("period", sa.String(7), nullable=False),  # the cycle that measured them
    sa.Column("level", sa.String(32), nullable=False),
    sa.Column("lag", sa.Integer, nullable=False),
    sa.Column("n", sa.Integer), sa.Column("actual", sa.Float), sa.Column("forecast", sa.Float),
    sa.Column("wape", sa.Float), sa.Column("bias", sa.Float), sa.Column("mase", sa.Float),
    sa.Column("wape_snaive", sa.Float), sa.Column("mase_snaive", sa.Float),
    sa.Column("fva", sa.Float),
    sa.PrimaryKeyConstraint("period", "level", "lag"),
)

# The demand review (sop/consensus): cells, submissions, adjustments, versions, revisions.
review_cells = sa.Table(  # month x region x category x sku x customer, the review months only
    "sop_review_cells", metadata,
    sa.Column("period", sa.String(7), nullable=False),
    sa.Column("ds", sa.Date, nullable=False),
    sa.Column("region", sa.String(100), nullable=False),
    sa.Column("category", sa.String(100), nullable=False),
    sa.Column("sku", sa.String(64), nullable=False),
    sa.Column("customer_id", sa.String(64), nullable=False),
    sa.Column("qty", sa.Float, nullable=False),
    sa.Column("revenue", sa.Float, nullable=False),
    sa.PrimaryKeyConstraint("period", "ds", "region", "category", "sku", "customer_id"),
)

review_submissions = sa.Table(  # every submission taken in: who, when, from where
    "sop_review_submissions", metadata,
    sa.Column("period", sa.String(7), nullable=False),
    sa.Column("department", sa.String(32), nullable=False),
    sa.Column("seq", sa.Integer, nullable=False),
    sa.Column("author", sa.String(254), nullable=False),
    sa.Column("source", sa.String(500), nullable=False),
    sa.Column("content_hash", sa.String(64), nullable=False),  # the same file again: no new seq
    sa.Column("submitted_at", sa.DateTime, nullable=False),
    sa.Column("adjustments", sa.Integer, nullable=False),
    sa.PrimaryKeyConstraint("period", "department", "seq"),
)

review_adjustments = sa.Table(  # a submission's adjustments, with what they came to
    "sop_review_adjustments", metadata,
    sa.Column("period", sa.String(7), nullable=False),
    sa.Column("department", sa.String(32), nullable=False),
    sa.Column("seq", sa.Integer, nullable=False),
    sa.Column("row_no", sa.Integer, nullable=False),
    sa.Column("source_ref", sa.String(200)),
    sa.Column("level", sa.String(32), nullable=False),
    sa.Column("ds", sa.Date, nullable=False),
    sa.Column("category", sa.String(100)), sa.Column("region", sa.String(100)),
    sa.Column("customer_id", sa.String(64)), sa.Column("sku", sa.String(64)),
    sa.Column("qty", sa.Float), sa.Column("change_pct", sa.Float),
    sa.Column("reason", sa.String(32), nullable=False), sa.Column("comment", sa.Text),
    sa.Column("statistical", sa.Float), sa.Column("target", sa.Float),
    sa.Column("result", sa.Float), sa.Column("note", sa.String(200)),
    sa.PrimaryKeyConstraint("period", "department", "seq", "row_no"),
)

plan_versions = sa.Table(  # statistical, sales, marketing, consensus, approved per period
    "sop_plan_versions", metadata,
    sa.Column("period", sa.String(7), nullable=False),
    sa.Column("version", sa.String(32), nullable=False),
    sa.Column("author", sa.String(254)),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("revision", sa.Integer),  # the approved revision (1, 2 ...)
    sa.Column("note", sa.Text),
    sa.PrimaryKeyConstraint("period", "version"),
)

version_forecasts = sa.Table(  # each version at every level, the review months
    "sop_version_forecasts", metadata,
    sa.Column("period", sa.String(7), nullable=False),
    sa.Column("version", sa.String(32), nullable=False),
    sa.Column("level", sa.String(32), nullable=False),
    sa.Column("unique_id", sa.String(200), nullable=False),
    sa.Column("region", sa.String(100)), sa.Column("category", sa.String(100)),
    sa.Column("sku", sa.String(64)),
    sa.Column("ds", sa.Date, nullable=False),
    sa.Column("forecast", sa.Float, nullable=False),
    sa.Column("revenue", sa.Float),
    sa.PrimaryKeyConstraint("period", "version", "level", "unique_id", "ds"),
)

revision_deliveries = sa.Table(  # the approved revision's packets: once per recipient
    "sop_revision_deliveries", metadata,
    *(sa.Column(c.name, c.type, nullable=c.nullable) for c in deliveries.columns),
    sa.Column("revision", sa.Integer, nullable=False),
    sa.PrimaryKeyConstraint("period", "revision", "department", "recipient"),
)
