"""Packet delivery against a real SMTP server (aiosmtpd on loopback) and a real SQLite
warehouse: one message per (period, department, recipient), exactly once."""

from __future__ import annotations

import datetime as dt
import email
import io
import ipaddress
import re
import ssl
from email import policy
from pathlib import Path

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from reports import RenderedPacket
from sop.config import SmtpConfig
from sop.mail import Mailer, MailError, send_smtp, write_eml
from sop.packets.delivery import deliver_packets, message_id, packet_message
from sop.warehouse import deliveries, warehouse_engine
from tests.conftest import free_port

pytestmark = pytest.mark.integration

PERIOD = "2026-10"
PACKETS = {
    "sales": RenderedPacket("[S&OP 2026-10] Sales briefing", "<p>Sales &amp; more</p>",
                            "Sales\n\nRevenue 1,400\n"),
    "management": RenderedPacket("[S&OP 2026-10] Management briefing", "<p>Management</p>",
                                 "Management\n"),
}
RECIPIENTS = {"sales": ["ann@example.com", "bob@example.com"], "management": ["ceo@example.com"]}
KEYS = {("sales", "ann@example.com"), ("sales", "bob@example.com"),
        ("management", "ceo@example.com")}


class Recorder:
    """An aiosmtpd handler that stores what it accepts and refuses the first `refuse`
    DATA commands with `reply`."""

    def __init__(self, refuse: int = 0, reply: str = "451 4.3.0 Try again later") -> None:
        self.refuse, self.reply = refuse, reply
        self.messages: list[email.message.EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd hook
        if self.refuse > 0:
            self.refuse -= 1
            return self.reply
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        self.messages.append(email.message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"

    def keys(self) -> list[str]:
        return [m["X-SOP-Key"] for m in self.messages]


def start(handler: Recorder, **kwargs) -> tuple[Controller, int]:
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port,
                            server_hostname="smtp.test", **kwargs)
    controller.start()
    return controller, port


@pytest.fixture
def server():
    handler = Recorder()
    controller, port = start(handler)
    yield handler, port
    controller.stop()


@pytest.fixture
def engine(tmp_path):
    eng = warehouse_engine(f"sqlite:///{tmp_path / 'warehouse.sqlite'}")
    yield eng
    eng.dispose()


def smtp_config(port: int, **kwargs) -> SmtpConfig:
    return SmtpConfig(host="127.0.0.1", port=port, sender="sop@example.com",
                      timeout_seconds=5, **kwargs)


def mailer(smtp: SmtpConfig | None, **kwargs) -> Mailer:
    """The mailer for `smtp` (its sender), or the .eml-writing one when it is None."""
    return Mailer(smtp, str(smtp.sender) if smtp else "sop@localhost", **kwargs)


def rows(engine) -> dict[tuple[str, str], sa.Row]:
    with engine.connect() as conn:
        return {(r.department, r.recipient): r for r in conn.execute(sa.select(deliveries))}


def test_one_message_per_department_and_recipient_then_nothing_on_rerun(server, engine,
                                                                       tmp_path):
    handler, port = server
    mail = mailer(smtp_config(port))
    results = deliver_packets(engine, PERIOD, PACKETS, RECIPIENTS, mail, tmp_path)
    assert {(r.department, r.recipient) for r in results} == KEYS
    assert {r.status for r in results} == {"sent"} and {r.channel for r in results} == {"smtp"}
    assert sorted(handler.keys()) == sorted(f"{PERIOD}/{d}/{r}" for d, r in KEYS)
    assert sorted(rcpt for _, (rcpt,) in handler.envelopes) == sorted(r for _, r in KEYS)
    assert {frm for frm, _ in handler.envelopes} == {"sop@example.com"}
    for msg in handler.messages:
        assert msg.get_content_type() == "multipart/alternative"
        parts = [p.get_content_type() for p in msg.iter_parts()]
        assert parts == ["text/plain", "text/html"]
        department, recipient = msg["X-SOP-Key"].split("/")[1:]
        assert msg["Message-ID"] == message_id(PERIOD, department, recipient)
        assert msg["Subject"] == PACKETS[department].subject and msg["Date"]
        text = msg.get_body(("plain",)).get_content().replace("\r\n", "\n")
        assert text == PACKETS[department].text
        assert msg.get_body(("html",)).get_content().strip() == PACKETS[department].html
    stored = rows(engine)
    assert {k: (r.status, r.attempts, r.channel) for k, r in stored.items()} == {
        k: ("sent", 1, "smtp") for k in KEYS}
    assert all(r.sent_at is not None and r.last_error is None for r in stored.values())

    again = deliver_packets(engine, PERIOD, PACKETS, RECIPIENTS, mail, tmp_path)
    assert {r.status for r in again} == {"already_sent"}
    assert len(handler.messages) == 3  # nothing new
    assert {k: r.attempts for k, r in rows(engine).items()} == {k: 1 for k in KEYS}


def test_refused_deliveries_fail_then_a_later_call_sends_each_exactly_once(engine, tmp_path):
    handler = Recorder(refuse=2)
    controller, port = start(handler)
    mail = mailer(smtp_config(port))
    try:
        with pytest.raises(MailError) as info:
            deliver_packets(engine, PERIOD, PACKETS, RECIPIENTS, mail, tmp_path)
        err = info.value
        assert err.transient is True
        failed = [r for r in err.results if r.status == "failed"]
        assert len(failed) == 2 and len(err.results) == 3
        assert f"127.0.0.1:{port}" in str(err) and "451" in str(err)
        assert all(r.recipient in str(err) for r in failed)
        stored = rows(engine)
        assert sorted(r.status for r in stored.values()) == ["failed", "failed", "sent"]
        for r in failed:
            row = stored[(r.department, r.recipient)]
            assert row.attempts == 1 and "451" in row.last_error and row.sent_at is None
        assert len(handler.messages) == 1

        results = deliver_packets(engine, PERIOD, PACKETS, RECIPIENTS, mail, tmp_path)
        assert sorted(r.status for r in results) == ["already_sent", "sent", "sent"]
        assert sorted(handler.keys()) == sorted(f"{PERIOD}/{d}/{r}" for d, r in KEYS)
        stored = rows(engine)
        assert {r.status for r in stored.values()} == {"sent"}
        assert sorted(r.attempts for r in stored.values()) == [1, 2, 2]
        assert all(r.last_error is None for r in stored.values())

        deliver_packets(engine, PERIOD, PACKETS, RECIPIENTS, mail, tmp_path)
        assert len(handler.messages) == 3
    finally:
        controller.stop()


def test_resend_sends_a_department_again_and_a_new_period_is_separate(server, engine, tmp_path):
    handler, port = server
    mail = mailer(smtp_config(port))
    deliver_packets(engine, PERIOD, PACKETS, RECIPIENTS, mail, tmp_path)
    results = deliver_packets(engine, PERIOD, PACKETS, RECIPIENTS, mail, tmp_path,
                              resend={"management"})
    assert {(r.department, r.status) for r in results} == {
        ("sales", "already_sent"), ("management", "sent")}
    assert handler.keys().count(f"{PERIOD}/management/ceo@example.com") == 2
    assert rows(engine)[("management", "ceo@example.com")].attempts == 2
    deliver_packets(engine, "2026-11", PACKETS, RECIPIENTS, mail, tmp_path)
    assert len(handler.messages) == 3 + 1 + 3


def test_permanent_refusal_is_not_transient(engine, tmp_path):
    handler = Recorder(refuse=99, reply="550 5.7.1 Relaying denied")
    controller, port = start(handler)
    try:
        with pytest.raises(MailError) as info:
            deliver_packets(engine, PERIOD, {"sales": PACKETS["sales"]}, RECIPIENTS,
                            mailer(smtp_config(port)), tmp_path)
        assert info.value.transient is False and "550" in str(info.value)
        assert {r.status for r in rows(engine).values()} == {"failed"}
    finally:
        controller.stop()


def test_connection_refused_is_transient_and_names_host_and_recipient():
    port = free_port()  # nothing listens there
    cfg = smtp_config(port)
    msg = packet_message(mailer(cfg), PACKETS["sales"], "ann@example.com", PERIOD, "sales")
    with pytest.raises(MailError) as info:
        send_smtp(msg, cfg)
    assert info.value.transient is True
    assert f"127.0.0.1:{port}" in str(info.value) and "ann@example.com" in str(info.value)


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_login_over_plain_connection():
    seen: list[tuple[bytes, bytes]] = []

    def authenticator(server, session, envelope, mechanism, auth_data):
        assert isinstance(auth_data, LoginPassword)
        seen.append((auth_data.login, auth_data.password))
        return AuthResult(success=auth_data.password == b"s3cret", handled=False)

    handler = Recorder()
    controller, port = start(handler, authenticator=authenticator, auth_require_tls=False,
                             auth_required=True)
    try:
        msg = packet_message(mailer(smtp_config(port)), PACKETS["sales"], "ann@example.com",
                             PERIOD, "sales")
        send_smtp(msg, smtp_config(port, username="sop", password="s3cret"))
        assert seen == [(b"sop", b"s3cret")] and len(handler.messages) == 1
        with pytest.raises(MailError) as info:
            send_smtp(msg, smtp_config(port, username="sop", password="wrong"))
        assert info.value.transient is False and "535" in str(info.value)
        with pytest.raises(MailError):  # the server requires AUTH before MAIL
            send_smtp(msg, smtp_config(port))
        assert len(handler.messages) == 1
    finally:
        controller.stop()


def _certificate(tmp_path: Path) -> tuple[ssl.SSLContext, ssl.SSLContext]:
    """A self-signed certificate for 127.0.0.1: (server context, client context trusting it)."""
    crypto = pytest.importorskip("cryptography")
    del crypto
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_file, key_file = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_ctx.load_cert_chain(cert_file, key_file)
    client_ctx = ssl.create_default_context(cafile=str(cert_file))
    return server_ctx, client_ctx


@pytest.mark.parametrize("security", ["starttls", "ssl"])
def test_tls_delivery(security, engine, tmp_path):
    server_ctx, client_ctx = _certificate(tmp_path)
    handler = Recorder()
    kwargs = ({"tls_context": server_ctx, "require_starttls": True} if security == "starttls"
              else {"ssl_context": server_ctx})
    controller, port = start(handler, **kwargs)
    try:
        cfg = smtp_config(port, security=security)
        results = deliver_packets(engine, PERIOD, PACKETS, RECIPIENTS,
                                  mailer(cfg, tls_context=client_ctx), tmp_path)
        assert {r.status for r in results} == {"sent"} and len(handler.messages) == 3
        msg = packet_message(mailer(cfg), PACKETS["sales"], "x@example.com", PERIOD, "sales")
        with pytest.raises(MailError) as info:  # the system CAs do not trust this cert
            send_smtp(msg, cfg)
        assert info.value.transient is False and "TLS" in str(info.value)
    finally:
        controller.stop()


def test_eml_outbox_writes_files_once(engine, tmp_path):
    outbox = tmp_path / "outbox"
    results = deliver_packets(engine, PERIOD, PACKETS, RECIPIENTS, mailer(None), tmp_path)
    files = sorted(outbox.rglob("*.eml"))
    assert [f.relative_to(outbox).as_posix() for f in files] == [
        "2026-10/management/ceo@example.com.eml", "2026-10/sales/ann@example.com.eml",
        "2026-10/sales/bob@example.com.eml"]
    assert {r.channel for r in results} == {"file"}
    assert {r.location for r in results} == {str(f) for f in files}
    msg = email.message_from_bytes(files[1].read_bytes(), policy=policy.default)
    assert msg["From"] == "sop@localhost" and msg["To"] == "ann@example.com"
    assert msg["X-SOP-Key"] == "2026-10/sales/ann@example.com"
    assert [p.get_content_type() for p in msg.iter_parts()] == ["text/plain", "text/html"]
    archive = tmp_path / "packets"  # every message sent is also kept beside its packet
    assert {r.archive for r in results} == {str(archive / f.relative_to(outbox)) for f in files}
    assert all((archive / f.relative_to(outbox)).read_bytes() == f.read_bytes() for f in files)
    stamps = {f: f.stat().st_mtime_ns for f in files}
    files[0].unlink()  # a re-run must not rewrite (or restore) what was delivered
    again = deliver_packets(engine, PERIOD, PACKETS, RECIPIENTS, mailer(None), tmp_path)
    assert {r.status for r in again} == {"already_sent"}
    assert not files[0].exists()
    assert all(f.stat().st_mtime_ns == stamps[f] for f in files[1:])
    assert {(r.status, r.channel) for r in rows(engine).values()} == {("sent", "file")}


def test_eml_write_failure_is_recorded_and_retried(engine, tmp_path):
    blocker = tmp_path / "outbox"
    blocker.write_text("a file where the outbox folder should be")
    with pytest.raises(MailError) as info:
        deliver_packets(engine, PERIOD, PACKETS, RECIPIENTS, mailer(None), tmp_path)
    assert info.value.transient is False
    assert {r.status for r in info.value.results} == {"failed"}
    for (department, recipient), row in rows(engine).items():
        target = blocker / PERIOD / department / f"{recipient}.eml"
        assert row.last_error.startswith(f"cannot write {target}: ")
        assert row.status == "failed" and row.sent_at is None
    blocker.unlink()
    results = deliver_packets(engine, PERIOD, PACKETS, RECIPIENTS, mailer(None), tmp_path)
    assert {r.status for r in results} == {"sent"} and len(list(blocker.rglob("*.eml"))) == 3


def test_message_is_deterministic_and_multipart(tmp_path):
    when = dt.datetime(2026, 11, 2, 7, 0, tzinfo=dt.UTC)
    fixed = Mailer(None, "sop@example.com", clock=lambda: when)
    a = packet_message(fixed, PACKETS["sales"], "ann@example.com", PERIOD, "sales")
    b = packet_message(fixed, PACKETS["sales"], "ann@example.com", PERIOD, "sales")
    c = packet_message(Mailer(None, "sop@example.com"), PACKETS["sales"], "bob@example.com",
                       PERIOD, "sales")
    assert a["Message-ID"] == b["Message-ID"] != c["Message-ID"]
    assert a["Message-ID"].startswith("<sop-2026-10-sales-") and a["Message-ID"].endswith(
        "@sop.local>")
    assert a["Date"] == "Mon, 02 Nov 2026 07:00:00 +0000" and a["From"] == "sop@example.com"
    assert a.as_bytes() == b.as_bytes()
    path = write_eml(a, tmp_path / "x" / "a.eml")
    assert path.read_bytes() == a.as_bytes()


def test_departments_without_recipients_are_refused(engine, tmp_path):
    with pytest.raises(ValueError, match="no recipients for department 'management'"):
        deliver_packets(engine, PERIOD, PACKETS, {"sales": ["a@example.com"]},
                        mailer(None), tmp_path)
    assert rows(engine) == {}


# --- the real packet: MIME structure, inline images, attachments, resends --------------

@pytest.fixture(scope="module")
def full_packets():
    """The sales packet of the unit fixture in English and in Chinese, with its charts,
    PDF and workbook."""
    from reports.packet import build_packet
    from tests.unit.packets.test_briefing import ctx

    return {locale: build_packet("sales", ctx("sales"), locale=locale) for locale in ("en", "zh")}


def _structure(part) -> object:
    if part.is_multipart():
        return (part.get_content_type(), [_structure(p) for p in part.iter_parts()])
    return part.get_content_type()


def test_packet_message_structure_inline_images_and_attachments(server, engine, tmp_path,
                                                                full_packets):
    import subprocess

    import openpyxl

    handler, port = server
    packet = full_packets["en"]
    archive = tmp_path / "packets"
    deliver_packets(engine, PERIOD, {"sales": packet}, {"sales": RECIPIENTS["sales"]},
                    mailer(smtp_config(port)), tmp_path)
    assert len(handler.messages) == 2
    xlsx_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    for msg in handler.messages:
        assert _structure(msg) == ("multipart/mixed", [
            ("multipart/alternative", ["text/plain", ("multipart/related", [
                "text/html", "image/png", "image/png"])]),
            "application/pdf", xlsx_type])
        assert msg.get_body(("plain",)).get_content().replace("\r\n", "\n") == packet.text
        html = msg.get_body(("html",)).get_content()
        images = {p["Content-ID"].strip("<>"): p for p in msg.walk()
                  if p.get_content_type() == "image/png"}
        assert set(re.findall(r'src="cid:([^"]+)"', html)) == set(images)  # all resolve
        for img in packet.images:
            assert images[img.cid].get_content() == img.data
            assert images[img.cid].get_content_disposition() == "inline"
        files = {p.get_filename(): p for p in msg.iter_attachments()}
        assert set(files) == {"sop-2026-10-sales.pdf", "sop-2026-10-sales.xlsx"}
        pdf = files["sop-2026-10-sales.pdf"].get_content()
        assert pdf.startswith(b"%PDF") and files["sop-2026-10-sales.pdf"][
            "Content-Disposition"].startswith("attachment")
        text = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True,
                              check=True).stdout.decode()
        assert "Sales briefing" in text
        book = openpyxl.load_workbook(io.BytesIO(files["sop-2026-10-sales.xlsx"].get_content()))
        assert book.sheetnames[0] == "Contents"
        assert len(msg.as_bytes()) < 5 * 1024 * 1024
        kept = archive / PERIOD / "sales" / f"{msg['To']}.eml"
        assert email.message_from_bytes(kept.read_bytes(), policy=policy.default)[
            "Message-ID"] == msg["Message-ID"]


def test_chinese_subject_survives_the_trip(server, engine, tmp_path, full_packets):
    handler, port = server
    deliver_packets(engine, PERIOD, {"sales": full_packets["zh"]}, {"sales": ["li@example.com"]},
                    mailer(smtp_config(port)), tmp_path)
    (msg,) = handler.messages
    assert msg["Subject"] == "[S&OP 2026-10] 销售部 briefing"
    assert "较上月变化最大的三项" in msg.get_body(("plain",)).get_content()
    assert '<html lang="zh-CN">' in msg.get_body(("html",)).get_content()


def test_resend_gets_a_new_message_id_once_per_token_and_retries_keep_theirs(engine, tmp_path):
    handler = Recorder()
    controller, port = start(handler)
    try:
        mail, one = mailer(smtp_config(port)), {"management": PACKETS["management"]}
        rcpt = {"management": ["ceo@example.com"]}
        deliver_packets(engine, PERIOD, one, rcpt, mail, tmp_path)
        first = handler.messages[-1]["Message-ID"]
        assert first == message_id(PERIOD, "management", "ceo@example.com")
        deliver_packets(engine, PERIOD, one, rcpt, mail, tmp_path, resend={"management"},
                        resend_token="run-1")
        second = handler.messages[-1]["Message-ID"]
        assert second != first and second.startswith("<sop-resend-2026-10-management-")
        again = deliver_packets(engine, PERIOD, one, rcpt, mail, tmp_path, resend={"management"},
                                resend_token="run-1")  # a retry of the same run
        assert [r.status for r in again] == ["already_sent"] and len(handler.messages) == 2
        handler.refuse = 1  # the next resend fails once ...
        with pytest.raises(MailError):
            deliver_packets(engine, PERIOD, one, rcpt, mail, tmp_path, resend={"management"},
                            resend_token="run-2")
        results = deliver_packets(engine, PERIOD, one, rcpt, mail, tmp_path)  # ... is retried
        third = handler.messages[-1]["Message-ID"]
        assert [r.status for r in results] == ["sent"] and len(handler.messages) == 3
        assert third == message_id(PERIOD, "management", "ceo@example.com", resend="run-2")
        assert len({first, second, third}) == 3
        assert rows(engine)[("management", "ceo@example.com")].message_id == third
    finally:
        controller.stop()
