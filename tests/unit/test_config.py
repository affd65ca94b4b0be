import textwrap

import pytest

from sop.config import DEPARTMENTS, ConfigError, config_from_mapping, load_config


def minimal(**over):
    raw = {
        "sources": {"erp": {"url": "sqlite:///erp.sqlite"}},
        "warehouse": {"url": "sqlite:///wh.sqlite"},
        "departments": {d: {"heads": [f"{d}@example.com"]} for d in DEPARTMENTS},
    }
    raw.update(over)
    return raw


def test_minimal_config_gets_documented_defaults():
    cfg = config_from_mapping(minimal(), {})
    assert cfg.thresholds.forecast_vs_budget_pct == 10.0
    assert cfg.planning.horizon_months == 18
    assert cfg.smtp is None
    assert cfg.source_url("sales_orders") == "sqlite:///erp.sqlite"


def test_env_substitution_with_default_and_secret():
    raw = minimal(smtp={"host": "${SMTP_HOST:-mail.local}", "password": "${SMTP_PASSWORD}",
                        "sender": "sop@example.com"})
    cfg = config_from_mapping(raw, {"SMTP_PASSWORD": "s3cret"})
    assert cfg.smtp.host == "mail.local"
    assert cfg.smtp.password == "s3cret"


def test_missing_env_var_names_key_and_variable():
    raw = minimal(warehouse={"url": "${WH_URL}"})
    with pytest.raises(ConfigError, match=r"warehouse\.url: environment variable \$\{WH_URL\}"):
        config_from_mapping(raw, {})


@pytest.mark.parametrize("change, where", [
    ({"smtp": {"host": "h", "security": "tls", "sender": "a@b.com"}}, "smtp.security"),
    ({"smtp": {"host": "h", "port": 70000, "sender": "a@b.com"}}, "smtp.port"),
    ({"datasets": {"sales_order": {"table": "x"}}}, "unknown dataset"),
    ({"datasets": {"sales_orders": {"table": "x", "query": "select 1"}}}, "either 'table' or 'query'"),
    ({"datasets": {"sales_orders": {"source": "crm"}}}, "datasets.sales_orders.source"),
    ({"thresholds": {"stockout_weeks": -1}}, "thresholds.stockout_weeks"),
    ({"thresholds": {"no_such_threshold": 1}}, "thresholds.no_such_threshold: unknown key"),
    ({"departments": {"sales": {"heads": ["not-an-address"]}}}, "departments.sales.heads.0"),
])
def test_invalid_config_names_the_key(change, where):
    with pytest.raises(ConfigError) as err:
        config_from_mapping(minimal(**change), {})
    assert where in str(err.value)


def test_missing_department_is_named():
    raw = minimal()
    del raw["departments"]["procurement"]
    with pytest.raises(ConfigError, match="procurement"):
        config_from_mapping(raw, {})


def test_load_config_anchors_relative_paths_to_the_file(tmp_path):
    path = tmp_path / "cfg" / "sop.yaml"
    path.parent.mkdir()
    heads = "\n".join(f"  {d}: {{heads: [{d}@example.com]}}" for d in DEPARTMENTS)
    path.write_text(textwrap.dedent("""\
        sources: {erp: {url: "sqlite:///data/erp.sqlite"}}
        warehouse: {url: "sqlite:///wh.sqlite"}
        output_dir: out
        departments:
        """) + heads + "\n")
    cfg = load_config(path, {})
    assert cfg.sources["erp"].url == f"sqlite:///{tmp_path / 'cfg' / 'data' / 'erp.sqlite'}"
    assert cfg.output_dir == str(tmp_path / "cfg" / "out")


def test_load_config_missing_file_and_bad_yaml(tmp_path):
    with pytest.raises(ConfigError, match="not found"):
        load_config(tmp_path / "nope.yaml", {})
    bad = tmp_path / "bad.yaml"
    bad.write_text("sources: [unclosed")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_config(bad, {})


def test_example_config_in_repo_is_valid():
    from pathlib import Path
    example = Path(__file__).parents[2] / "config.example.yaml"
    cfg = load_config(example, {"ERP_URL": "postgresql+psycopg://u@h/erp",
                                "SMTP_PASSWORD": "x", "WAREHOUSE_URL": "sqlite:///wh.sqlite"})
    assert cfg.smtp.security == "starttls"
