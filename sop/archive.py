"""Where packets are kept: <output_dir>/packets/<period>/<department>/."""

from __future__ import annotations

from pathlib import Path


def packet_dir(output_dir: str | Path, period: str, department: str) -> Path:
    return Path(output_dir) / "packets" / period / department


def outbox_dir(output_dir: str | Path) -> Path:
    return Path(output_dir) / "outbox"


def archive_packet(html: str, text: str, output_dir: str | Path, period: str,
                   department: str) -> dict[str, Path]:
    """Write the packet's HTML and text (replacing an earlier render of the same period)."""
    folder = packet_dir(output_dir, period, department)
    folder.mkdir(parents=True, exist_ok=True)
    paths = {"html": folder / "packet.html", "text": folder / "packet.txt"}
    for kind, content in (("html", html), ("text", text)):
        tmp = paths[kind].with_suffix(".tmp")
        tmp.write_text(content, encoding="utf-8")
        tmp.replace(paths[kind])
    return paths
