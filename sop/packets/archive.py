"""Where packets are kept: <output_dir>/packets/<period>/<department>/.

The folder holds the packet as a page (packet.html, with its chart PNGs beside it), as plain
text (packet.txt), as PDF (packet.pdf) and workbook (packet.xlsx), and the .eml of each
message sent (written by sop.packets.delivery; every path: sop.outputs). A new render of the same period replaces the page,
the text, the charts and the attachments; the .eml files stay.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from sop.outputs import Outputs

ATTACHMENT_FILES = {"application/pdf": ("pdf", "packet.pdf"),
                    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet":
                    ("xlsx", "packet.xlsx")}


class ArchivedPacket(Protocol):
    """reports.render.RenderedPacket or anything shaped like it."""

    html: str
    text: str


def _write(path: Path, content: bytes) -> Path:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(content)
    tmp.replace(path)
    return path


def archive_packet(packet: ArchivedPacket, output_dir: str | Path, period: str,
                   department: str) -> dict[str, Path]:
    """Write the packet's files (replacing an earlier render of the same period) and return
    their paths by kind: html, text, pdf, xlsx, and one `chart-...` entry per image."""
    folder = Outputs.at(output_dir).packet_dir(period, department)
    folder.mkdir(parents=True, exist_ok=True)
    page = getattr(packet, "page_html", "") or packet.html
    paths = {"html": _write(folder / "packet.html", page.encode("utf-8")),
             "text": _write(folder / "packet.txt", packet.text.encode("utf-8"))}
    images = {img.filename: img.data for img in getattr(packet, "images", ()) or ()}
    for old in folder.glob("chart-*.png"):
        if old.name not in images:
            old.unlink()
    for name, data in images.items():
        paths[name.removesuffix(".png")] = _write(folder / name, data)
    for att in getattr(packet, "attachments", ()) or ():  # a second one of a type: its name
        kind, name = ATTACHMENT_FILES.get(att.content_type, (att.filename, att.filename))
        if kind in paths:
            kind, name = att.filename.rsplit(".", 1)[0], att.filename
        paths[kind] = _write(folder / name, att.data)
    return paths
