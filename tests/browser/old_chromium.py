"""Drive an old Chromium (83 to 93) with today's Playwright (docs/tablets.md, "Browsers").

Playwright speaks the DevTools protocol to any Chromium from 83 on, but the selector engine it
injects into each page calls ``Element.checkVisibility()`` (Chromium 105) unguarded, so every
locator fails on an older engine. The engine runs in Playwright's own isolated world, which
Playwright registers for every new document by sending ``Page.addScriptToEvaluateOnNewDocument``
with an empty source and the world's name. :class:`OldChromium` starts the browser itself and,
for Playwright, ``relay()`` sits between them as a WebSocket relay that fills that empty source
with the method, to the
specification's rule for a call without options. Nothing else is changed; the page's own world
never sees the method, so the pages under test behave as they do on the tablets (our scripts never
call it: tests/huiji_review/test_browser_support.py refuses it).
"""

import asyncio
import json
import re
import subprocess
import tempfile
import threading

import aiohttp
from aiohttp import web

from .devtools import LoopThread

UTILITY_WORLD = "__playwright_utility_world_"
CHECK_VISIBILITY = """
if (!Element.prototype.checkVisibility) {
  Element.prototype.checkVisibility = function () {
    if (getComputedStyle(this).display === "contents") return false;
    for (var element = this; element; element = element.parentElement) {
      if (getComputedStyle(element).display === "none") return false;
    }
    return true;
  };
}
"""
LISTENING = re.compile(r"DevTools listening on (ws://\S+)")


class OldChromium:
    """An old Chromium with its DevTools protocol on ``devtools`` (Chromium 80, which Playwright
    cannot drive, is spoken to there directly); ``relay()`` is the address for Playwright's
    ``connect_over_cdp``."""

    def __init__(self, executable, args):
        self.profile = tempfile.TemporaryDirectory(prefix="huiji-chromium-")
        self.process = subprocess.Popen(  # noqa: S603 (a browser we fetched, fixed flags)
            [
                str(executable),
                *args,
                "--remote-debugging-port=0",
                f"--user-data-dir={self.profile.name}",
                "about:blank",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.devtools = self._devtools_address()
        self.thread = None

    def _devtools_address(self):
        for line in self.process.stderr:
            match = LISTENING.search(line)
            if match:
                # Chromium keeps writing to stderr; a reader nobody drains would block it.
                threading.Thread(target=self.process.stderr.read, daemon=True).start()
                return match.group(1)
        raise RuntimeError(f"Chromium exited ({self.process.wait()}) before listening")

    def relay(self):
        """Start the relay; its address."""
        self.thread = LoopThread()
        return self.thread.run(self._listen())

    async def _listen(self):
        app = web.Application()
        app.router.add_get("/", self._relay)
        runner = web.AppRunner(app)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        host, port = runner.addresses[0][:2]
        return f"ws://{host}:{port}/"

    async def _relay(self, request):
        client = web.WebSocketResponse(max_msg_size=0)
        await client.prepare(request)
        async with (
            aiohttp.ClientSession() as session,
            session.ws_connect(self.devtools, max_msg_size=0) as browser,
        ):

            async def answers():
                async for message in browser:
                    await client.send_str(message.data)

            answering = asyncio.ensure_future(answers())
            async for message in client:
                await browser.send_str(fill_utility_world(message.data))
            answering.cancel()
        return client

    def close(self):
        if self.thread:
            self.thread.stop()
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.profile.cleanup()


def fill_utility_world(data):
    if UTILITY_WORLD not in data:
        return data
    command = json.loads(data)
    params = command.get("params", {})
    if (
        command.get("method") == "Page.addScriptToEvaluateOnNewDocument"
        and params.get("worldName", "").startswith(UTILITY_WORLD)
        and not params.get("source")
    ):
        params["source"] = CHECK_VISIBILITY
        return json.dumps(command)
    return data
