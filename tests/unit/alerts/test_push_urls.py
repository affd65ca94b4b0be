"""A chat webhook's URL carries its credential in the path: messages show only the host."""

from __future__ import annotations

import pytest

from sop.alerts.push import PushError, post_webhook, shown_url
from tests.conftest import free_port


@pytest.mark.parametrize(("url", "shown"), [
    ("https://hooks.slack.com/services/T0/B1/s3cr3t", "https://hooks.slack.com/..."),
    ("https://x.webhook.office.com/webhookb2/abc?sig=s3cr3t", "https://x.webhook.office.com/..."),
    ("http://user:pw@127.0.0.1:8080/hook", "http://127.0.0.1:8080/..."),
    ("http://127.0.0.1:8080", "http://127.0.0.1:8080"),
])
def test_the_shown_url_keeps_scheme_and_host_only(url, shown):
    assert shown_url(url) == shown


def test_a_failed_post_names_the_endpoint_without_its_secret():
    url = f"http://127.0.0.1:{free_port()}/services/s3cr3t-token"
    with pytest.raises(PushError) as e:
        post_webhook(url, {"text": "x"}, timeout=2)
    assert e.value.transient and "s3cr3t-token" not in str(e.value)
    assert str(e.value).startswith("webhook http://127.0.0.1:")
