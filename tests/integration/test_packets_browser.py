"""Every department's packet from the small demo, in English and Chinese, opened in real
headless Chromium (Debian's chromium, driven over the DevTools protocol: no selenium):
no broken image, no request beyond the packet's own files, no page wider than a desktop
(1280 px) or a phone (390 px: `scrollWidth` against 390 itself, since under mobile emulation
Chromium widens the layout viewport to the content), the e-mail HTML under 100 KB; a
full-page screenshot of each, page and e-mail, phone and desktop, is kept in out/screenshots/.
The PDF has the same key figures as the page (management's first page holds the decisions
and the outlook), Chinese PDFs embed a CJK font, the workbooks open with typed cells, and
every message stays well under 5 MB.

The packets are built once per session (demo ERP -> staged data -> plan -> packets, without
Prefect) by the `demo_packets` fixture."""

from __future__ import annotations

import io
import re
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import openpyxl
import pytest

from reports.formats import formatted
from reports.i18n import Locale, localized
from reports.packet import build_packet
from sop.config import DEPARTMENTS, config_from_mapping
from sop.mail import Mailer
from sop.packets.archive import archive_packet
from sop.packets.delivery import packet_message
from tests.integration.chromium import start_chromium

pytestmark = pytest.mark.integration

MAILER = Mailer(None, "sop@example.com")
END = "2026-10"
LOCALES = ("en", "zh")
VIEWPORTS = {"desktop": (1280, 1000, False), "phone": (390, 844, True)}
# every run keeps its screenshots here (the project's out/, ignored by git)
SHOTS = Path(__file__).parents[2] / "out" / "screenshots"
MAIL_HTML_LIMIT = 100 * 1024  # Gmail clips a message whose HTML is larger (about 102 KB)
PAGE_CHECK = """(() => {
  const imgs = [...document.images];
  return {images: imgs.length,
          broken: imgs.filter(i => !i.complete || i.naturalWidth === 0).map(i => i.src),
          scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth,
          scripts: document.scripts.length, text: document.body.innerText};
})()"""


@dataclass
class Demo:
    folder: Path
    contexts: dict[str, dict]
    packets: dict[tuple[str, str], object]  # (department, locale) -> RenderedPacket
    seconds: dict[tuple[str, str], float]


@pytest.fixture(scope="session")
def demo_packets(tmp_path_factory) -> Demo:
    from sop.contracts import CYCLE_DATASETS
    from sop.demo import generate_erp
    from sop.ingest.sources import read_all
    from sop.ingest.staging import as_of, staged
    from sop.packets.briefing import packet_context
    from sop.plan import History
    from sop.planning.build import plan_for_period

    folder = tmp_path_factory.mktemp("demo_packets")
    url = f"sqlite:///{folder / 'erp.sqlite'}"
    generate_erp(url, scale="small", seed=7, end=END)
    config = config_from_mapping({"sources": {"erp": {"url": url}},
                                  "warehouse": {"url": f"sqlite:///{folder / 'wh.sqlite'}"},
                                  "departments": {d: {"heads": [f"{d}@example.com"]}
                                                  for d in DEPARTMENTS}}, {})
    data = {n: as_of(staged(f, n), n, END) for n, f in read_all(config, CYCLE_DATASETS).items()}
    plan = plan_for_period(data, END, config.planning, config.thresholds, History())
    contexts = {d: packet_context(d, END, data, plan, ["invoices: 2 rows (warning)"])
                for d in DEPARTMENTS}
    packets, seconds = {}, {}
    for locale in LOCALES:
        for d in DEPARTMENTS:
            started = time.perf_counter()
            packets[(d, locale)] = build_packet(d, contexts[d], locale=locale)
            seconds[(d, locale)] = time.perf_counter() - started
            archive_packet(packets[(d, locale)], folder / locale, END, d)
    return Demo(folder, contexts, packets, seconds)


@pytest.fixture(scope="module")
def chromium(tmp_path_factory):
    browser = start_chromium(tmp_path_factory.mktemp("chromium-profile"))
    yield browser
    browser.close()


def pdf_text(path: Path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True,
                          capture_output=True, text=True).stdout


def key_figures(context: dict, locale: str) -> list[str]:
    """The packet's key figures and its changes since last month, as shown."""
    loc = Locale(locale)
    ctx = localized(context, loc)
    shown = [formatted(k["value"], k["fmt"], loc) for k in ctx["kpis"]]
    for r in ctx["changes"]["rows"]:
        shown += [formatted(r["value"], r["fmt"], loc), formatted(r["change"], "pct", loc)]
    return [s for s in shown if s != loc.na]


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("department", DEPARTMENTS)
def test_packet_opens_in_chromium_without_broken_images_or_overflow(
        department, locale, demo_packets, chromium, tmp_path):
    packet = demo_packets.packets[(department, locale)]
    folder = demo_packets.folder / locale / "packets" / END / department
    mail = folder / "mail.html"  # the e-mail HTML, its cid: images pointed at the PNG files
    html = packet.html
    for img in packet.images:
        html = html.replace(f"cid:{img.cid}", img.filename)
    mail.write_text(html, encoding="utf-8")
    shots = SHOTS
    shots.mkdir(parents=True, exist_ok=True)
    assert len(packet.html.encode()) < MAIL_HTML_LIMIT, len(packet.html.encode())
    for page in (folder / "packet.html", mail):
        for view, (width, height, mobile) in VIEWPORTS.items():
            shot = shots / f"{department}-{locale}-{page.stem}-{view}.png"
            check = chromium.open(page.as_uri(), width, height, mobile, shot, PAGE_CHECK)
            where = f"{page.name} at {view} {width}px"
            assert check["images"] == len(packet.images) and not check["broken"], where
            assert check["scrollWidth"] <= width, (where, check["scrollWidth"])
            assert check["scripts"] == 0, where
            assert all(u.startswith(folder.as_uri()) for u in check["requests"]), (
                where, check["requests"])
            assert shot.stat().st_size > 10_000
            for figure in key_figures(demo_packets.contexts[department], locale):
                assert figure in check["text"], (where, figure)
    if locale == "zh":
        assert "较上月变化最大的三项" in check["text"]


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("department", DEPARTMENTS)
def test_pdf_has_the_same_figures_and_the_workbook_typed_cells(department, locale,
                                                               demo_packets):
    packet = demo_packets.packets[(department, locale)]
    folder = demo_packets.folder / locale / "packets" / END / department
    text = pdf_text(folder / "packet.pdf")
    for figure in key_figures(demo_packets.contexts[department], locale):
        assert figure in text, figure
    ctx = localized(demo_packets.contexts[department], Locale(locale))
    for t in ctx["tables"].values():
        assert " ".join(t["title"].split()[:3]) in " ".join(text.split()), t["title"]
    if locale == "zh":
        assert Locale("zh").department(department) in text
        fonts = subprocess.run(["pdffonts", str(folder / "packet.pdf")], check=True,
                               capture_output=True, text=True).stdout
        assert re.search(r"Noto-Sans-CJK-SC", fonts), fonts
    wb = openpyxl.load_workbook(folder / "packet.xlsx")
    assert len(wb.sheetnames) == 4 + len(ctx["tables"]) + len(ctx["actions_all"])
    for ws in wb.worksheets[1:]:
        assert ws.freeze_panes == "A2"
        for row in ws.iter_rows(min_row=2):
            for cell in row:
                if isinstance(cell.value, str):
                    assert not re.fullmatch(r"[+-]?[\d,]+(\.\d+)?%?", cell.value), (
                        ws.title, cell.coordinate, cell.value)
    msg = packet_message(MAILER, packet, "head@example.com", END, department)
    assert len(msg.as_bytes()) < 5 * 1024 * 1024
    assert openpyxl.load_workbook(io.BytesIO(packet.attachments[1].data)).sheetnames == (
        wb.sheetnames)


def test_render_time_and_message_size_per_packet(demo_packets):
    lines = []
    for (department, locale), packet in demo_packets.packets.items():
        size = len(packet_message(MAILER, packet, "head@example.com", END,
                                  department).as_bytes())
        lines.append(f"{department:12} {locale}  {size / 1024:7.0f} KB  "
                     f"{demo_packets.seconds[(department, locale)]:5.1f} s")
        assert size < 2 * 1024 * 1024  # small demo: far below the 5 MB budget
    print("\n".join(["packet        locale  message   render", *lines]))


@pytest.mark.parametrize("locale", LOCALES)
def test_management_pdf_page_one_holds_the_decisions_and_the_outlook(demo_packets, locale):
    folder = demo_packets.folder / locale / "packets" / END / "management"
    page1 = subprocess.run(["pdftotext", "-f", "1", "-l", "1", "-layout",
                            str(folder / "packet.pdf"), "-"], check=True, capture_output=True,
                           text=True).stdout
    loc = Locale(locale)
    ctx = localized(demo_packets.contexts["management"], loc)
    flat = " ".join(page1.split())
    for heading in ("Decisions for this meeting", "Actual, budget and forecast"):
        assert loc.t(heading) in flat, heading
    issues = ctx["alerts"]["rows"]
    assert len(issues) == 5  # the five largest across departments, by money
    for r in issues:
        assert formatted(r["value"], "money", loc) in flat, r["name"]
    totals = ctx["tables"]["totals"]
    assert " ".join(totals["title"].split()) in flat
    for r in totals["rows"]:
        for key in ("actual", "budget"):
            if r[key] is not None:
                assert formatted(r[key], "money", loc) in flat, (r["horizon"], key)
    assert " ".join(ctx["tables"]["vs_forecast"]["title"].split()) in flat
    # the detail follows on the next pages
    assert loc.t("Key figures") not in flat
    assert loc.t("Headlines by department") not in flat
