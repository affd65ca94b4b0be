"""Headless Chromium (Debian's chromium) on a fresh profile, driven over the DevTools
protocol: no selenium, no driver process."""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
import time
from pathlib import Path

import pytest

CHROMIUM = next((p for p in map(shutil.which, ("chromium", "chromium-browser")) if p), None)
CHROME_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run",
                "--hide-scrollbars", "--remote-debugging-port=0"]


def start_chromium(profile: Path) -> Chromium:
    if CHROMIUM is None:
        pytest.fail("chromium is not installed: run `make sysdeps` (Debian package chromium)")
    return Chromium(profile)


class Chromium:
    """Headless Chromium on a fresh profile, driven over the DevTools protocol."""

    def __init__(self, profile: Path) -> None:
        from websockets.sync.client import connect

        self.proc = subprocess.Popen([CHROMIUM, *CHROME_FLAGS, f"--user-data-dir={profile}",
                                      "about:blank"], stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        port_file = profile / "DevToolsActivePort"
        deadline = time.monotonic() + 30
        while not (port_file.exists() and len(port_file.read_text().split()) == 2):
            if time.monotonic() > deadline or self.proc.poll() is not None:
                raise RuntimeError("Chromium did not start")
            time.sleep(0.1)
        port, path = port_file.read_text().split()
        self.ws = connect(f"ws://127.0.0.1:{port}{path}", max_size=None, proxy=None)
        self.next_id, self.events = 0, []

    def call(self, method: str, session: str | None = None, **params) -> dict:
        self.next_id += 1
        msg = {"id": self.next_id, "method": method, "params": params}
        self.ws.send(json.dumps({**msg, "sessionId": session} if session else msg))
        while True:
            reply = json.loads(self.ws.recv(timeout=60))
            if reply.get("id") == self.next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)

    def wait_for(self, method: str, session: str) -> None:
        while not any(e.get("method") == method and e.get("sessionId") == session
                      for e in self.events):
            self.events.append(json.loads(self.ws.recv(timeout=60)))

    def open(self, url: str, width: int, height: int, mobile: bool, shot: Path,
             check: str) -> dict:
        """Load `url` at the given viewport; the value of the `check` expression, the URLs
        the page requested, and a full-page screenshot written to `shot`."""
        target = self.call("Target.createTarget", url="about:blank")["targetId"]
        session = self.call("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
        for domain in ("Page.enable", "Network.enable"):
            self.call(domain, session)
        self.call("Emulation.setDeviceMetricsOverride", session, width=width, height=height,
                  deviceScaleFactor=1, mobile=mobile)
        self.events.clear()
        self.call("Page.navigate", session, url=url)
        self.wait_for("Page.loadEventFired", session)
        seen = self.call("Runtime.evaluate", session, expression=check,
                         returnByValue=True)["result"]["value"]
        seen["requests"] = [e["params"]["request"]["url"] for e in self.events
                            if e.get("method") == "Network.requestWillBeSent"]
        size = self.call("Page.getLayoutMetrics", session)["cssContentSize"]
        png = self.call("Page.captureScreenshot", session, format="png",
                        captureBeyondViewport=True,
                        clip={"x": 0, "y": 0, "width": width, "height": size["height"],
                              "scale": 1})["data"]
        shot.write_bytes(base64.b64decode(png))
        self.call("Target.closeTarget", targetId=target)
        return seen

    def close(self) -> None:
        self.ws.close()
        self.proc.terminate()
        self.proc.wait(timeout=10)


    def wait_for_text(self, url: str, needles: tuple[str, ...], shot: Path,
                      width: int = 1280, height: int = 900, timeout: float = 60,
                      settle: float = 3) -> str:
        """Open `url` (a single-page app is fine), wait until the page's text holds every
        one of `needles`, save a full-page screenshot to `shot`, return the text.
        Raises AssertionError with the text seen when the time is up."""
        target = self.call("Target.createTarget", url="about:blank")["targetId"]
        session = self.call("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
        self.call("Page.enable", session)
        self.call("Emulation.setDeviceMetricsOverride", session, width=width, height=height,
                  deviceScaleFactor=1, mobile=False)
        self.call("Page.navigate", session, url=url)
        deadline, text = time.monotonic() + timeout, ""
        while time.monotonic() < deadline:
            text = self.call("Runtime.evaluate", session, returnByValue=True,
                             expression="document.body ? document.body.innerText : ''"
                             )["result"].get("value") or ""
            if all(n in text for n in needles):
                break
            time.sleep(0.5)
        # An app scrolls inside its own panes: grow the window to the tallest pane, so the
        # picture holds the whole page, then let charts and lazy panels draw.
        tallest = self.call("Runtime.evaluate", session, returnByValue=True, expression=(
            "Math.max(...[...document.querySelectorAll('*')].map(e => e.scrollHeight))")
        )["result"].get("value") or height
        self.call("Emulation.setDeviceMetricsOverride", session, width=width,
                  height=min(max(height, int(tallest)), 8000), deviceScaleFactor=1,
                  mobile=False)
        time.sleep(settle)
        png = self.call("Page.captureScreenshot", session, format="png")["data"]
        shot.write_bytes(base64.b64decode(png))
        self.call("Target.closeTarget", targetId=target)
        missing = [n for n in needles if n not in text]
        assert not missing, f"{url}: {missing} not shown; the page read:\n{text[:3000]}"
        return text
