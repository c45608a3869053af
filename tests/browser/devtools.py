"""A page in Chromium 80 driven over the DevTools protocol (docs/tablets.md, "Browsers").

Chromium 80 is the oldest engine the users carry, and older than any Playwright can drive (it
lacks commands Playwright sends when it opens a context). The test for it speaks the protocol
itself through this client: the commands it needs have been in Chromium for years (targets,
``Runtime.evaluate``, ``Network.emulateNetworkConditions``), and evaluation from DevTools is not
bound by the pages' Content-Security-Policy. Each call blocks the test until Chromium answers; the
WebSocket lives on an event loop in a thread of its own (:class:`LoopThread`, which the relay in
old_chromium.py runs on too).
"""

import asyncio
import json
import threading
import time

import aiohttp

TIMEOUT_S = 15


class DevToolsError(AssertionError):
    pass


class LoopThread:
    """An asyncio event loop in a daemon thread, for a synchronous test to hand coroutines to."""

    def __init__(self):
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def run(self, coroutine, timeout=TIMEOUT_S):
        """Run ``coroutine`` on the loop; its result, once it is done."""
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    def stop(self):
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)


class DevTools:
    """The browser-wide connection: ``open_page`` gives a :class:`Tab` on a new target."""

    def __init__(self, endpoint):
        self.thread = LoopThread()
        self.next_id = 0
        self.waiting = {}
        self.workers = {}  # service worker target id → our session on it
        # Every event Chromium sends: (session id, method, params), in order.
        self.events = []
        self.thread.run(self._connect(endpoint))

    async def _connect(self, endpoint):
        self.http = aiohttp.ClientSession()
        self.socket = await self.http.ws_connect(endpoint, max_msg_size=0)
        self.reading = asyncio.ensure_future(self._read())

    async def _read(self):
        async for message in self.socket:
            data = json.loads(message.data)
            if "id" in data:
                self.waiting.pop(data["id"]).set_result(data)
            else:
                self.events.append((data.get("sessionId"), data["method"], data.get("params", {})))

    async def _send(self, method, params, session):
        self.next_id += 1
        command = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            command["sessionId"] = session
        answer = asyncio.get_running_loop().create_future()
        self.waiting[self.next_id] = answer
        await self.socket.send_str(json.dumps(command))
        return await answer

    def send(self, method, params=None, session=None):
        answer = self.thread.run(self._send(method, params, session))
        if "error" in answer:
            raise DevToolsError(f"{method}: {answer['error']}")
        return answer["result"]

    def attach(self, target_id):
        session = self.send("Target.attachToTarget", {"targetId": target_id, "flatten": True})
        return session["sessionId"]

    def open_page(self, width, height):
        target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        return Tab(self, self.attach(target), width, height)

    def worker_sessions(self):
        """Sessions on the service workers now running (their fetches bypass a page's emulated
        network, so going offline must reach them too)."""
        for target in self.send("Target.getTargets")["targetInfos"]:
            if target["type"] == "service_worker" and target["targetId"] not in self.workers:
                self.workers[target["targetId"]] = self.attach(target["targetId"])
        return list(self.workers.values())

    def close(self):
        async def close():
            await self.socket.close()
            await self.http.close()

        self.thread.run(close())
        self.thread.stop()


class Tab:
    """One page: navigate, evaluate, wait for a condition, cut the network."""

    def __init__(self, devtools, session, width, height):
        self.devtools = devtools
        self.session = session
        for domain in ("Page", "Runtime", "Network"):
            self.send(f"{domain}.enable")
        self.send(
            "Emulation.setDeviceMetricsOverride",
            {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False},
        )

    def send(self, method, params=None):
        return self.devtools.send(method, params, self.session)

    def goto(self, url):
        self.send("Page.navigate", {"url": url})

    def reload(self):
        self.send("Page.reload")

    def evaluate(self, expression):
        """The value of ``expression`` in the page, a promise awaited."""
        answer = self.send(
            "Runtime.evaluate",
            {"expression": expression, "returnByValue": True, "awaitPromise": True},
        )
        if "exceptionDetails" in answer:
            raise DevToolsError(f"{expression}: {answer['exceptionDetails']}")
        return answer["result"].get("value")

    def wait_for(self, expression, timeout=TIMEOUT_S):
        """Poll until ``expression`` is truthy (a page navigating meanwhile is polled again)."""
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            try:
                last = self.evaluate(expression)
            except DevToolsError as error:
                last = error
            if last and not isinstance(last, Exception):
                return last
            time.sleep(0.1)
        raise AssertionError(f"still not true after {timeout} s: {expression} (last: {last!r})")

    def set_offline(self, offline):
        conditions = {
            "offline": offline,
            "latency": 0,
            "downloadThroughput": -1,
            "uploadThroughput": -1,
        }
        for session in [self.session, *self.devtools.worker_sessions()]:
            try:
                self.devtools.send("Network.enable", session=session)
                self.devtools.send("Network.emulateNetworkConditions", conditions, session=session)
            except DevToolsError:
                pass  # a worker stopped since: the next one starts under no emulation of ours

    def exceptions(self):
        """Uncaught errors the page's scripts have thrown."""
        return [
            params["exceptionDetails"]
            for session, method, params in self.devtools.events
            if session == self.session and method == "Runtime.exceptionThrown"
        ]
