#!/usr/bin/env python3
"""A site that uses yesno-verifier without nginx (docs/api.md, "Integrating
without nginx"). Standard library only; run:

    yesno-verifier serve --origin http://127.0.0.1:8080 --public-prefix /yesno \
        --claims age_over_18 --trust trust.json --listen 127.0.0.1:8081
    python3 no_nginx_app.py 127.0.0.1:8080 127.0.0.1:8081

What it does, as the recipe says:
  1. /yesno/challenge, /yesno/verify, /yesno/gate and /yesno/gate/... are
     passed to the verifier (the /yesno prefix removed); nothing else under
     /yesno/ is (not /auth/..., /metrics or /healthz);
  2. only the headers the verifier needs go in, only its own come back, and
     no client address is forwarded;
  3. every request for /adult/... is first checked with GET /auth/age_over_18
     (the claim is chosen here, never by the client), passing the request's
     Cookie and Authorization: 204 -> serve (passing on any Set-Cookie);
     401 -> a browser is sent to the gate, anyone else gets the 401 with the
     verifier's WWW-Authenticate challenge; anything else -> 503 (fail closed).
This file is the recipe the integration test VerifierNoNginxTest runs.
"""
import http.client
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import quote

VERIFIER = sys.argv[2] if len(sys.argv) > 2 else "127.0.0.1:8081"
PREFIX = "/yesno"
CLAIM = "age_over_18"
PUBLIC = ("/challenge", "/verify", "/gate")            # and /gate/...
FORWARD_IN = ("Authorization", "Cookie", "Content-Type", "Accept")
FORWARD_OUT = {"content-type", "www-authenticate", "set-cookie", "location", "cache-control",
               "content-security-policy", "x-frame-options", "x-content-type-options", "referrer-policy"}
MAX_BODY = 64 * 1024                                    # the verifier's own limit


def verifier(method, target, headers, body=None):
    """One request to the verifier; returns (status, [(name, value)], body)."""
    conn = http.client.HTTPConnection(VERIFIER, timeout=5)
    try:
        conn.request(method, target, body=body, headers=headers)
        res = conn.getresponse()
        return res.status, res.getheaders(), res.read()
    finally:
        conn.close()


class App(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):                       # no client addresses in logs
        pass

    def reply(self, status, headers, body=b""):
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def pass_headers(self):
        # Only what the verifier reads; never X-Forwarded-For or the like.
        return {name: self.headers[name] for name in FORWARD_IN if self.headers[name] is not None}

    def proxy(self):
        target = self.path[len(PREFIX):]
        route = target.split("?", 1)[0]
        if not (route in PUBLIC or route.startswith("/gate/")):
            return self.reply(404, [("Content-Type", "text/plain")], b"not found\n")
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            return self.reply(413, [("Content-Type", "text/plain")], b"too large\n")
        body = self.rfile.read(length) if length else None
        try:
            status, headers, data = verifier(self.command, target, self.pass_headers(), body)
        except OSError:
            return self.reply(503, [("Content-Type", "text/plain")], b"verifier unavailable\n")
        self.reply(status, [(n, v) for n, v in headers if n.lower() in FORWARD_OUT], data)

    def gated(self):
        try:
            status, headers, _ = verifier("GET", "/auth/" + CLAIM, self.pass_headers())
        except OSError:
            status, headers = 0, []
        if status == 204:
            cookies = [(n, v) for n, v in headers if n.lower() == "set-cookie"]
            return self.reply(200, [("Content-Type", "text/plain"), ("Cache-Control", "no-store")] + cookies,
                              b"adults only\n")
        if status == 401:
            if "text/html" in (self.headers.get("Accept") or ""):
                return self.reply(302, [("Location", PREFIX + "/gate?claim=" + CLAIM + "&return=" +
                                         quote(self.path, safe="")), ("Cache-Control", "no-store")])
            challenge = [(n, v) for n, v in headers if n.lower() in ("www-authenticate", "content-type")]
            return self.reply(401, challenge + [("Cache-Control", "no-store")], b"")
        self.reply(503, [("Content-Type", "text/plain")], b"cannot check right now\n")

    def route(self):
        if self.path.startswith(PREFIX + "/"):
            return self.proxy()
        if self.path.startswith("/adult/"):
            return self.gated()
        self.reply(200, [("Content-Type", "text/plain")], b"welcome\n")

    do_GET = do_POST = do_HEAD = route


if __name__ == "__main__":
    host, port = (sys.argv[1] if len(sys.argv) > 1 else "127.0.0.1:8080").rsplit(":", 1)
    server = ThreadingHTTPServer((host, int(port)), App)
    print("app listening on http://%s:%s" % (host, port), flush=True)
    server.serve_forever()
