#!/usr/bin/env python3
"""browser.py - drive headless Chromium over the DevTools protocol
(--remote-debugging-pipe: NUL-separated JSON on fds 3 and 4, standard
library only) to check a flow-analyzer HTML page as a user sees it.

usage: browser.py URL --nodes N --edges M --click NAME --shot PNG
                  [--hostile] [--live-flows MIN] [--timeout S]

Checks, in the rendered DOM: the map has N node and M edge elements; a
real mouse click (Input.dispatchMouseEvent) on the node named NAME
shows its details; a click on an edge shows the edge's details; the
namespace filter hides nodes; header clicks sort a table.  --hostile:
no script planted in flow strings ran (no dialog, window.__pwned unset,
still exactly two <script> elements) and the strings are present as
text.  --live-flows: wait until the live page has polled a report with
at least MIN flows.  Writes a screenshot.  Exit 0 when all checks pass.
"""
import argparse
import base64
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time


class Browser:
    def __init__(self, chromium):
        self.tmp = tempfile.mkdtemp(prefix="fa-chromium-")
        cmd_r, self.cmd_w = os.pipe()
        self.res_r, res_w = os.pipe()
        # Move the child's ends out of the way of 3 and 4, which it must
        # get (the parent's own pipe ends may sit there).
        hi_r = os.dup2(cmd_r, 200, inheritable=False)
        hi_w = os.dup2(res_w, 201, inheritable=False)
        os.close(cmd_r)
        os.close(res_w)
        cmd_r, res_w = hi_r, hi_w

        def child_fds():
            os.dup2(cmd_r, 3)
            os.dup2(res_w, 4)

        self.proc = subprocess.Popen(
            [chromium, "--headless", "--no-sandbox", "--disable-gpu",
             "--disable-quic", "--no-first-run",
             "--disable-background-networking",
             "--disable-component-update", "--disable-sync",
             "--remote-debugging-pipe", "--user-data-dir=" + self.tmp,
             "--window-size=1400,1600", "about:blank"],
            pass_fds=(3, 4, cmd_r, res_w), preexec_fn=child_fds,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.close(cmd_r)
        os.close(res_w)
        self.buf = b""
        self.next_id = 0
        self.events = []
        self.session = None

    def _read_msg(self, deadline):
        while b"\0" not in self.buf:
            if time.time() > deadline:
                raise TimeoutError("no answer from chromium")
            chunk = os.read(self.res_r, 1 << 16)
            if not chunk:
                raise EOFError("chromium closed the pipe")
            self.buf += chunk
        msg, self.buf = self.buf.split(b"\0", 1)
        return json.loads(msg)

    def call(self, method, params=None, session=True, timeout=30):
        self.next_id += 1
        msg = {"id": self.next_id, "method": method, "params": params or {}}
        if session and self.session:
            msg["sessionId"] = self.session
        os.write(self.cmd_w, json.dumps(msg).encode() + b"\0")
        deadline = time.time() + timeout
        while True:
            m = self._read_msg(deadline)
            if m.get("id") == self.next_id:
                if "error" in m:
                    raise RuntimeError("%s: %s" % (method, m["error"]))
                return m.get("result", {})
            self.events.append(m)

    def wait_event(self, name, timeout=30):
        deadline = time.time() + timeout
        for i, e in enumerate(self.events):
            if e.get("method") == name:
                return self.events.pop(i)
        while True:
            m = self._read_msg(deadline)
            if m.get("method") == name:
                return m
            self.events.append(m)

    def eval(self, expr):
        r = self.call("Runtime.evaluate",
                      {"expression": expr, "returnByValue": True})
        if "exceptionDetails" in r:
            raise RuntimeError("JS: %s" % r["exceptionDetails"])
        return r["result"].get("value")

    def wait_for(self, expr, timeout=20):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.eval(expr):
                return True
            time.sleep(0.1)
        return False

    def click(self, x, y):
        for t in ("mouseMoved", "mousePressed", "mouseReleased"):
            p = {"type": t, "x": x, "y": y}
            if t != "mouseMoved":
                p.update({"button": "left", "clickCount": 1})
            self.call("Input.dispatchMouseEvent", p)

    def close(self):
        try:
            self.call("Browser.close", session=False, timeout=5)
        except Exception:
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        shutil.rmtree(self.tmp, ignore_errors=True)


def center_of(b, selector_expr):
    r = b.eval("(function(){var e=%s; if(!e) return null;"
               "e.scrollIntoView({block:'center'});"
               "var r=e.getBoundingClientRect();"
               "return [r.left+r.width/2, r.top+r.height/2];})()"
               % selector_expr)
    return r


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("url")
    ap.add_argument("--nodes", type=int, required=True)
    ap.add_argument("--edges", type=int, required=True)
    ap.add_argument("--click", required=True)
    ap.add_argument("--shot", required=True)
    ap.add_argument("--hostile", action="append", default=[])
    ap.add_argument("--live-flows", type=int, default=0)
    ap.add_argument("--chromium", default="/usr/bin/chromium")
    a = ap.parse_args()

    fails = []

    def check(ok, what):
        print(("ok   " if ok else "FAIL ") + what)
        if not ok:
            fails.append(what)

    b = Browser(a.chromium)
    try:
        targets = b.call("Target.getTargets", session=False)["targetInfos"]
        page = [t for t in targets if t["type"] == "page"][0]
        b.session = b.call("Target.attachToTarget",
                           {"targetId": page["targetId"], "flatten": True},
                           session=False)["sessionId"]
        b.call("Page.enable")
        b.call("Runtime.enable")
        b.call("Emulation.setDeviceMetricsOverride",
               {"width": 1400, "height": 1600, "deviceScaleFactor": 1,
                "mobile": False})
        b.call("Page.navigate", {"url": a.url})
        b.wait_event("Page.loadEventFired")
        check(b.wait_for("document.body && "
                         "document.body.getAttribute('data-ready')==='1'"),
              "page script ran (data-ready)")
        if a.live_flows:
            check(b.wait_for("Number(document.body.getAttribute("
                             "'data-updates')||0)>=1 && "
                             "/live: (\\d+)/.test(document.getElementById"
                             "('status').textContent) && Number(/live: "
                             "(\\d+)/.exec(document.getElementById('status')"
                             ".textContent)[1])>=%d" % a.live_flows, 30),
                  "live page polled a report with >= %d flows"
                  % a.live_flows)
        n = b.eval("document.querySelectorAll('#map .node').length")
        e = b.eval("document.querySelectorAll('#map .edge').length")
        check(n == a.nodes, "map has %d nodes (got %s)" % (a.nodes, n))
        check(e == a.edges, "map has %d edges (got %s)" % (a.edges, e))
        red = b.eval("document.querySelectorAll('#map .edge.dropped').length")
        print("     %s edges drawn as dropped" % red)

        name = json.dumps(a.click)
        xy = center_of(b, "Array.prototype.find.call(document."
                       "querySelectorAll('#map .node'),function(x){return "
                       "x.getAttribute('data-name')===%s;})"
                       "&&Array.prototype.find.call(document."
                       "querySelectorAll('#map .node'),function(x){return "
                       "x.getAttribute('data-name')===%s;})"
                       ".querySelector('circle')" % (name, name))
        check(xy is not None, "node %s is drawn" % a.click)
        if xy:
            b.click(xy[0], xy[1])
            title = b.eval("(document.getElementById('details-title')||{})"
                           ".textContent")
            check(title == a.click,
                  "click on the node shows its details (%r)" % title)
            sel = b.eval("document.querySelectorAll('#map .node.selected')"
                         ".length")
            check(sel == 1, "the clicked node is highlighted")

        # zoom with the wheel, pan with a drag on the background
        box = b.eval("(function(){var r=document.getElementById('map')"
                     ".getBoundingClientRect();return [r.left,r.top,"
                     "r.width,r.height];})()")
        before = b.eval("document.getElementById('viewport')"
                        ".getAttribute('transform')")
        b.call("Input.dispatchMouseEvent",
               {"type": "mouseWheel", "x": box[0] + box[2] / 2,
                "y": box[1] + box[3] / 2, "deltaX": 0, "deltaY": -300})
        zoomed = b.eval("document.getElementById('viewport')"
                        ".getAttribute('transform')")
        check(zoomed != before, "wheel zooms the map (%s)" % zoomed)
        x0, y0 = box[0] + 5, box[1] + 5
        b.call("Input.dispatchMouseEvent", {"type": "mousePressed",
               "x": x0, "y": y0, "button": "left", "clickCount": 1})
        b.call("Input.dispatchMouseEvent", {"type": "mouseMoved",
               "x": x0 + 60, "y": y0 + 40, "button": "left"})
        b.call("Input.dispatchMouseEvent", {"type": "mouseReleased",
               "x": x0 + 60, "y": y0 + 40, "button": "left",
               "clickCount": 1})
        panned = b.eval("document.getElementById('viewport')"
                        ".getAttribute('transform')")
        check(panned != zoomed, "drag pans the map (%s)" % panned)
        b.eval("document.getElementById('reset').click()")

        # click the middle of the first edge's hit line
        xy = b.eval("(function(){var l=document.querySelector("
                    "'#map .edge line.hit'); if(!l) return null;"
                    "var r=l.getBoundingClientRect();"
                    "return [r.left+r.width/2, r.top+r.height/2];})()")
        if xy and a.edges > 0:
            b.click(xy[0], xy[1])
            t = b.eval("(document.getElementById('details-title')||{})"
                       ".textContent") or ""
            check("\u2192" in t, "click on an edge shows its details (%r)"
                  % t)

        # sorting: click the "flows" header of the edges table twice
        xy = center_of(b, "Array.prototype.find.call(document."
                       "querySelectorAll('#t-edges th'),function(x){"
                       "return x.textContent==='flows';})")
        if xy:
            b.click(xy[0], xy[1])
            col = b.eval("Array.prototype.map.call(document."
                         "querySelectorAll('#t-edges tbody tr td:nth-child(5)'),"
                         "function(x){return Number(x.textContent);})")
            check(col == sorted(col, reverse=True),
                  "edges table sorts by flows (descending)")
            b.click(xy[0], xy[1])
            col = b.eval("Array.prototype.map.call(document."
                         "querySelectorAll('#t-edges tbody tr td:nth-child(5)'),"
                         "function(x){return Number(x.textContent);})")
            check(col == sorted(col), "second click sorts ascending")

        # namespace filter hides nodes of other namespaces
        opts = b.eval("Array.prototype.map.call(document.querySelectorAll("
                      "'#f-ns option'),function(o){return o.value;})")
        if opts and len(opts) > 1:
            ns = opts[1]
            b.eval("(function(){var s=document.getElementById('f-ns');"
                   "s.value=%s;s.dispatchEvent(new Event('change'));})()"
                   % json.dumps(ns))
            n2 = b.eval("document.querySelectorAll('#map .node').length")
            check(n2 <= a.nodes, "namespace filter %s: %s nodes" % (ns, n2))
            b.eval("(function(){var s=document.getElementById('f-ns');"
                   "s.value='';s.dispatchEvent(new Event('change'));})()")

        for h in a.hostile:
            present = b.eval("Array.prototype.some.call(document."
                             "querySelectorAll('#map .node, td, li, h3'),"
                             "function(x){return x.getAttribute('data-name')"
                             "===%s || x.textContent.indexOf(%s)>=0;})"
                             % (json.dumps(h), json.dumps(h)))
            check(present, "hostile string shown as text: %r" % h)
        if a.hostile:
            check(b.eval("typeof window.__pwned") == "undefined",
                  "no planted script ran (window.__pwned unset)")
            check(b.eval("document.scripts.length") == 2,
                  "no planted <script> element in the DOM")
            check(b.eval("document.querySelectorAll('img').length") == 0,
                  "no planted <img> element in the DOM")
            dialogs = [m for m in b.events
                       if m.get("method") == "Page.javascriptDialogOpening"]
            check(not dialogs, "no dialog opened")

        b.eval("window.scrollTo(0, 0)")
        shot = b.call("Page.captureScreenshot", {"format": "png"})
        with open(a.shot, "wb") as f:
            f.write(base64.b64decode(shot["data"]))
        check(os.path.getsize(a.shot) > 10000, "screenshot %s" % a.shot)
    finally:
        b.close()
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
