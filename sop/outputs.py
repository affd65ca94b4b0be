"""Every output path, in one place: `<output_dir>/...`.

    packets/<period>/<department>/     packet.html (+ chart PNGs), packet.txt, packet.pdf,
                                       packet.xlsx, and <recipient>.eml of each message sent
    outbox/<period>/<department>/      <recipient>.eml: packets, when no SMTP is configured
    outbox/alerts/<period>/            alert digests, when no SMTP is configured
    outbox/items/                      coordination-item reminders, when no SMTP
    outbox/operators/                  failed-run notices, when no SMTP
    data-docs/                         Great Expectations Data Docs (`sop validate --docs`)
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path


def mail_file_name(recipient: str) -> str:
    """`recipient` as a safe .eml file name."""
    return re.sub(r"[^A-Za-z0-9@._+-]", "_", recipient) + ".eml"


@dataclass(frozen=True)
class Outputs:
    root: Path

    @classmethod
    def at(cls, output_dir: str | Path) -> Outputs:
        return cls(Path(output_dir))

    @property
    def packets(self) -> Path:
        return self.root / "packets"

    def packet_dir(self, period: str, department: str) -> Path:
        return self.packets / period / department

    @property
    def outbox(self) -> Path:
        return self.root / "outbox"

    def packet_outbox(self, period: str, department: str) -> Path:
        return self.outbox / period / department

    def alerts_outbox(self, period: str) -> Path:
        return self.outbox / "alerts" / period

    @property
    def items_outbox(self) -> Path:
        return self.outbox / "items"

    @property
    def operators_outbox(self) -> Path:
        return self.outbox / "operators"

    @property
    def data_docs(self) -> Path:
        return self.root / "data-docs"
