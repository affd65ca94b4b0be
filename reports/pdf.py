"""The packet as a PDF (WeasyPrint): the archived page on A4, with the print stylesheet.

Images come from the packet itself (the chart PNGs, by file name); nothing is fetched from
the network or the disk, and a reference to anything else stops the render. Chinese text is
set in the installed Noto Sans CJK font (fonts-noto-cjk), embedded as a subset.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections import OrderedDict
from collections.abc import Iterable
from functools import lru_cache

from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import FatalURLFetchingError, URLFetcher, URLFetcherResponse

from reports.render import InlineImage, stylesheet

BASE_URL = "file:///sop-packet/"
_LOCK = threading.Lock()
_DONE: OrderedDict[str, bytes] = OrderedDict()  # the last PDFs made, by their input's digest
_KEEP = 12


@lru_cache(maxsize=1)
def _fonts() -> FontConfiguration:
    """One font configuration for every packet: font matching is the slow part of a render."""
    return FontConfiguration()


class _PacketFiles(URLFetcher):
    """Serves the packet's own images; refuses everything else."""

    def __init__(self, files: dict[str, bytes]) -> None:
        super().__init__(allowed_protocols=("file",), fail_on_errors=True)
        self._files = files

    def fetch(self, url: str, headers: dict | None = None) -> URLFetcherResponse:
        name = url.removeprefix(BASE_URL)
        if url.startswith(BASE_URL) and name in self._files:
            return URLFetcherResponse(url, body=self._files[name],
                                      headers={"Content-Type": "image/png"})
        raise FatalURLFetchingError(f"packet PDF: {url} is not part of the packet")


def packet_pdf(page_html: str, images: Iterable[InlineImage] = ()) -> bytes:
    """The PDF of a packet's archived page (`RenderedPacket.page_html` and `.images`).
    The same page and images give the same PDF: a re-run of a period reuses the last ones
    made in this process instead of laying them out again."""
    files = {img.filename: img.data for img in images}
    digest = hashlib.sha256(page_html.encode())
    for name in sorted(files):
        digest.update(name.encode() + b"\0" + files[name])
    key = digest.hexdigest()
    fetcher = _PacketFiles(files)
    logging.getLogger("fontTools").setLevel(logging.WARNING)  # subsetting chatter
    with _LOCK:
        if key in _DONE:
            _DONE.move_to_end(key)
            return _DONE[key]
        fonts = _fonts()
        document = HTML(string=page_html, base_url=BASE_URL, url_fetcher=fetcher)
        css = CSS(string=stylesheet("print"), url_fetcher=fetcher, font_config=fonts)
        pdf = document.write_pdf(stylesheets=[css], font_config=fonts)
        _DONE[key] = pdf
        while len(_DONE) > _KEEP:
            _DONE.popitem(last=False)
        return pdf
