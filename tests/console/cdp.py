"""A small Chrome DevTools Protocol client over ``websockets`` (sync): enough to drive the console.

One browser process per test module (``Browser``); each test opens its own tab (``Page``) with
its own ``sessionStorage``. Events are read while waiting for replies, so request interception
(``Fetch.requestPaused``) is answered while a page loads.
"""

from __future__ import annotations

import base64
import contextlib
import itertools
import json
import re
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from websockets.sync.client import connect

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]


class CDPError(RuntimeError):
    pass


class Browser:
    """A headless Chromium started with a DevTools port, and one websocket to it."""

    def __init__(self, executable: str, *, width: int = 1400, height: int = 1000):
        self.profile = tempfile.TemporaryDirectory(prefix="xinzhi-chromium-")
        self.process = subprocess.Popen(
            [executable, *FLAGS, "--remote-debugging-port=0", f"--user-data-dir={self.profile.name}",
             f"--window-size={width},{height}", "--hide-scrollbars", "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        url = None
        deadline = time.monotonic() + 30
        while url is None and time.monotonic() < deadline:
            line = self.process.stderr.readline()
            if not line and self.process.poll() is not None:
                break
            found = re.search(r"DevTools listening on (ws://\S+)", line)
            url = found.group(1) if found else None
        if url is None:
            self.process.kill()
            raise CDPError("Chromium did not print its DevTools address")
        self._connection = connect(url, max_size=64 * 1024 * 1024, open_timeout=20)
        self.ws = self._connection.__enter__()
        self.ids = itertools.count(1)
        self.events: list[dict[str, Any]] = []
        self.handlers: dict[str, list[Callable[[dict[str, Any]], None]]] = {}
        self.size = (width, height)

    def _dispatch(self, message: dict[str, Any]) -> None:
        for handler in self.handlers.get(message["method"], []):
            handler(message)
        self.events.append(message)

    def send(self, method: str, params: dict[str, Any] | None = None, *, session: str | None = None,
             timeout: float = 30) -> dict[str, Any]:
        ident = next(self.ids)
        payload: dict[str, Any] = {"id": ident, "method": method, "params": params or {}}
        if session:
            payload["sessionId"] = session
        self.ws.send(json.dumps(payload))
        deadline = time.monotonic() + timeout
        while True:
            message = json.loads(self.ws.recv(timeout=max(0.01, deadline - time.monotonic())))
            if message.get("id") == ident:
                if "error" in message:
                    raise CDPError(f"{method}: {message['error']}")
                return message.get("result", {})
            if "method" in message:
                self._dispatch(message)

    def pump(self, seconds: float) -> None:
        """Read events for ``seconds`` (so handlers run while nothing else is sent)."""
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            try:
                message = json.loads(self.ws.recv(timeout=left))
            except TimeoutError:
                return
            if "method" in message:
                self._dispatch(message)

    def new_page(self) -> Page:
        target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        page = Page(self, target, session)
        page.call("Page.enable")
        page.call("Runtime.enable")
        page.watch_policy()
        page.call("Emulation.setDeviceMetricsOverride", {"width": self.size[0], "height": self.size[1],
                                                         "deviceScaleFactor": 1, "mobile": False})
        return page

    def close(self) -> None:
        with contextlib.suppress(Exception):  # already gone
            self.send("Browser.close", timeout=5)
        try:
            self._connection.__exit__(None, None, None)
        finally:
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
            self.profile.cleanup()


class Page:
    """One tab: navigate, evaluate, click, type, wait for visible text, screenshot."""

    def __init__(self, browser: Browser, target: str, session: str):
        self.browser, self.target, self.session = browser, target, session
        self.requests: list[str] = []
        self.blocked: list[str] = []
        self.violations: list[str] = []  # what the page's Content-Security-Policy refused (``watch_policy``)

    def call(self, method: str, params: dict[str, Any] | None = None, timeout: float = 30) -> dict[str, Any]:
        return self.browser.send(method, params, session=self.session, timeout=timeout)

    def watch_policy(self) -> None:
        """Record each thing the Content-Security-Policy refuses, in every frame of every page this tab loads."""

        def refused(message: dict[str, Any]) -> None:
            if message.get("sessionId") == self.session and message["params"]["name"] == "xinzhiRefused":
                self.violations.append(message["params"]["payload"])

        self.browser.handlers.setdefault("Runtime.bindingCalled", []).append(refused)
        self.call("Runtime.addBinding", {"name": "xinzhiRefused"})
        self.call("Page.addScriptToEvaluateOnNewDocument", {"source": (
            "document.addEventListener('securitypolicyviolation', e => xinzhiRefused("
            "`${e.violatedDirective} ${e.blockedURI} at ${e.sourceFile}:${e.lineNumber}`))")})

    def block_outside_localhost(self) -> None:
        """Answer every request: localhost goes on, anything else fails as if the network were cut."""

        def paused(message: dict[str, Any]) -> None:
            if message.get("sessionId") != self.session:
                return
            params = message["params"]
            url = params["request"]["url"]
            self.requests.append(url)
            host = urlsplit(url).hostname or ""
            if urlsplit(url).scheme in ("data", "blob", "about") or host in ("127.0.0.1", "localhost", "::1"):
                self._answer("Fetch.continueRequest", {"requestId": params["requestId"]})
            else:
                self.blocked.append(url)
                self._answer("Fetch.failRequest",
                             {"requestId": params["requestId"], "errorReason": "InternetDisconnected"})

        self.browser.handlers.setdefault("Fetch.requestPaused", []).append(paused)
        self.call("Fetch.enable", {"patterns": [{"urlPattern": "*"}]})

    def _answer(self, method: str, params: dict[str, Any]) -> None:
        # sent without waiting for the reply: we may be inside another call's read loop
        payload = {"id": next(self.browser.ids), "method": method, "params": params, "sessionId": self.session}
        self.browser.ws.send(json.dumps(payload))

    def goto(self, url: str, *, wait_for: str | None = None, timeout: float = 20) -> None:
        self.call("Page.navigate", {"url": url})
        self.wait("document.readyState === 'complete'", timeout=timeout)
        if wait_for:
            self.wait(wait_for, timeout=timeout)

    def eval(self, expression: str, timeout: float = 30) -> Any:
        result = self.call("Runtime.evaluate", {"expression": expression, "awaitPromise": True,
                                                "returnByValue": True}, timeout=timeout)
        if "exceptionDetails" in result:
            raise CDPError(f"{expression!r}: {result['exceptionDetails'].get('exception', result['exceptionDetails'])}")
        return result.get("result", {}).get("value")

    def wait(self, condition: str, *, timeout: float = 15, message: str | None = None) -> bool:
        """Poll a JS expression until it is truthy; fail with the page's visible text if it never is."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                value = self.eval(f"(() => {{ try {{ return !!({condition}); }} catch (e) {{ return false; }} }})()")
            except CDPError:
                value = None
            if value:
                return value
            if time.monotonic() > deadline:
                raise AssertionError(f"{message or 'timed out waiting for'}: {condition}\n--- page text ---\n"
                                     f"{self.text()[:3000]}")
            self.browser.pump(0.1)

    def wait_text(self, text: str, *, timeout: float = 15, selector: str = "body") -> None:
        self.wait(f"document.querySelector({json.dumps(selector)}).innerText.includes({json.dumps(text)})",
                  timeout=timeout, message=f"no visible text {text!r} in {selector}")

    def text(self, selector: str = "body") -> str:
        return self.eval(f"(document.querySelector({json.dumps(selector)}) || {{innerText: ''}}).innerText") or ""

    def click(self, selector: str) -> None:
        self.wait(f"document.querySelector({json.dumps(selector)})", message=f"no element {selector}")
        self.eval(f"document.querySelector({json.dumps(selector)}).click()")

    def fill(self, selector: str, value: str) -> None:
        """Set a field's value and fire ``input`` (as typing would)."""
        self.wait(f"document.querySelector({json.dumps(selector)})", message=f"no element {selector}")
        self.eval(f"(() => {{ const el = document.querySelector({json.dumps(selector)}); el.focus(); "
                  f"el.value = {json.dumps(value)}; el.dispatchEvent(new Event('input', {{bubbles: true}})); "
                  f"el.dispatchEvent(new Event('change', {{bubbles: true}})); }})()")

    def screenshot(self, path: Path, *, full_page: bool = True) -> bytes:
        params: dict[str, Any] = {"format": "png"}
        if full_page:
            params["captureBeyondViewport"] = True
        data = base64.b64decode(self.call("Page.captureScreenshot", params)["data"])
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        return data

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.browser.send("Target.closeTarget", {"targetId": self.target}, timeout=5)
