"""A small W3C WebDriver client for driving the real app window through
`tauri-driver` (which fronts WebKitWebDriver on Linux). Standard library only."""
import base64
import http.client
import json
import time
import urllib.error
import urllib.request

ELEMENT = "element-6066-11e4-a52f-4a5d6a0d5ca5"


class WebDriverError(Exception):
    pass


class Session:
    def __init__(self, driver_url: str, application: str, timeout: float = 60):
        self.base = driver_url.rstrip("/")
        caps = {"capabilities": {"alwaysMatch": {"tauri:options": {"application": application}}}}
        self.id = self._req("POST", "/session", caps, timeout=timeout)["sessionId"]

    def _req(self, method, path, body=None, timeout=30):
        data = json.dumps(body).encode() if body is not None else None
        for attempt in range(4):
            req = urllib.request.Request(self.base + path, data=data, method=method,
                                         headers={"Content-Type": "application/json"})
            try:
                with urllib.request.urlopen(req, timeout=timeout) as r:
                    return json.load(r)["value"]
            except urllib.error.HTTPError as e:
                raise WebDriverError(f"{method} {path}: {e.code} {e.read()[:400]!r}") from None
            except http.client.RemoteDisconnected:
                # tauri-driver forwards over a pooled connection that WebKitWebDriver
                # sometimes has just closed; it then drops ours before sending the
                # command on ("client error (SendRequest)"), so sending again is safe.
                if attempt == 3:
                    raise
                time.sleep(0.1)

    def _s(self, method, path, body=None):
        return self._req(method, f"/session/{self.id}{path}", body)

    def close(self):
        try:
            self._s("DELETE", "")
        except (WebDriverError, OSError):
            pass

    # --- scripts -----------------------------------------------------------------
    def js(self, script: str, *args):
        return self._s("POST", "/execute/sync", {"script": script, "args": list(args)})

    def js_async(self, script: str, *args):
        """Runs `script` with `done` bound to the completion callback."""
        wrapped = "const done = arguments[arguments.length - 1];\n" + script
        return self._s("POST", "/execute/async", {"script": wrapped, "args": list(args)})

    # --- elements ----------------------------------------------------------------
    def find_all(self, css: str) -> list:
        found = self._s("POST", "/elements", {"using": "css selector", "value": css})
        return [e.get(ELEMENT) or next(iter(e.values())) for e in found]

    def find(self, css: str, timeout: float = 10) -> str:
        """The first element matching `css`, waiting for it to appear."""
        found = self.wait(lambda: self.find_all(css), timeout, f"element {css}")
        return found[0]

    def click(self, css: str, timeout: float = 10):
        el = self.find(css, timeout)
        self._s("POST", f"/element/{el}/click", {})

    def type(self, css: str, text: str):
        el = self.find(css)
        self._s("POST", f"/element/{el}/clear", {})
        self._s("POST", f"/element/{el}/value", {"text": text})

    def select(self, css: str, value: str):
        """Chooses an option of a <select> the way a person does: value, then `change`."""
        self.find(css)
        self.js("const s = document.querySelector(arguments[0]); s.value = arguments[1];"
                "s.dispatchEvent(new Event('change', {bubbles: true}));", css, value)

    def text(self, css: str) -> str:
        return self._s("GET", f"/element/{self.find(css)}/text")

    def texts(self, css: str) -> list[str]:
        """The text of every element matching `css`."""
        return [self._s("GET", f"/element/{el}/text") for el in self.find_all(css)]

    def attr(self, css: str, name: str):
        return self._s("GET", f"/element/{self.find(css)}/attribute/{name}")

    def go(self, page: str):
        """Opens a page through the sidebar, as a person would."""
        self.click(f'[data-testid="nav-{page}"]')
        self.find(f'[data-testid="page-{page}"]')

    # --- waiting and pictures ----------------------------------------------------
    def wait(self, fn, timeout: float = 10, what: str = "condition"):
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            try:
                v = fn()
                if v:
                    return v
            except WebDriverError as e:
                last = e
            time.sleep(0.1)
        raise TimeoutError(f"waited {timeout}s for {what}" + (f" (last error: {last})" if last else ""))

    def screenshot(self, path):
        png = base64.b64decode(self._s("GET", "/screenshot"))
        with open(path, "wb") as f:
            f.write(png)
