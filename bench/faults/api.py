"""A plain HTTP client for the gateway (threads, no eventlet): one request per connection, a hard
timeout, and transport failures reported as status None instead of raised, because under a fault
"no answer" is a result to count, not an error of the suite."""
import http.client
import json
import socket
import time
import uuid
from dataclasses import dataclass

TRANSPORT_ERRORS = (OSError, http.client.HTTPException, socket.timeout)


@dataclass
class Reply:
    status: int | None  # None: no HTTP answer (refused, reset, timed out)
    body: object = None
    error: str = ""

    @property
    def ok(self):
        return self.status is not None and 200 <= self.status < 300

    @property
    def retryable(self):
        """No answer, or the server said it could not do it now (5xx, 429): worth the same request again."""
        return self.status is None or self.status >= 500 or self.status == 429

    def field(self, name, default=None):
        return self.body.get(name, default) if isinstance(self.body, dict) else default


class Api:
    """The gateway at 127.0.0.1:*port*, as one signed-in person (or anonymous)."""

    def __init__(self, port, token=None, timeout=10.0):
        self.port, self.token, self.timeout = port, token, timeout

    def as_user(self, token):
        return Api(self.port, token, self.timeout)

    def headers(self, extra=None):
        headers = {"Accept": "application/json"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        headers.update(extra or {})
        return headers

    def request(self, method, path, body=None, headers=None, timeout=None, raw=None, content_type=None):
        """One request; *body* is sent as JSON, *raw* as bytes with *content_type*."""
        headers = self.headers(headers)
        payload = raw
        if body is not None:
            payload = json.dumps(body, ensure_ascii=False).encode("utf-8")
            headers["Content-Type"] = "application/json"
        elif raw is not None:
            headers["Content-Type"] = content_type
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout or self.timeout)
        try:
            connection.request(method, path, body=payload, headers=headers)
            response = connection.getresponse()
            return Reply(response.status, _decoded(response.read()))
        except TRANSPORT_ERRORS as error:
            return Reply(None, None, type(error).__name__)
        finally:
            connection.close()

    def get(self, path, **kwargs):
        return self.request("GET", path, **kwargs)

    def post(self, path, body=None, **kwargs):
        return self.request("POST", path, body=body, **kwargs)

    def put(self, path, body=None, **kwargs):
        return self.request("PUT", path, body=body, **kwargs)

    def upload(self, path, fields, filename, content, headers=None, timeout=None):
        """multipart/form-data with one PDF file field named ``file``."""
        boundary = uuid.uuid4().hex
        parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
                 for name, value in fields.items()]
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'
                     f"Content-Type: application/pdf\r\n\r\n".encode())
        raw = b"".join(parts) + content + f"\r\n--{boundary}--\r\n".encode()
        return self.request("POST", path, raw=raw, content_type=f"multipart/form-data; boundary={boundary}",
                            headers=headers, timeout=timeout)


def _decoded(data):
    try:
        return json.loads(data.decode("utf-8")) if data else None
    except (UnicodeDecodeError, ValueError):
        return {"raw": data[:200].decode("utf-8", "replace")}


def healthy(api, timeout=8.0):
    """True when GET /health answers 200 (every service said ok)."""
    return api.get("/health", timeout=timeout).status == 200


def wait_healthy(api, seconds):
    """Seconds until /health was 200, or None if it never was within *seconds*."""
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        if healthy(api):
            return time.monotonic() - started
        time.sleep(0.5)
    return None


def login(api, username, password, seconds=60):
    """An Api signed in as *username*, retrying while the platform is still coming up."""
    deadline = time.monotonic() + seconds
    while True:
        reply = api.post("/api/v1/auth/login", {"username": username, "password": password})
        if reply.ok:
            return api.as_user(reply.body["access_token"]), reply.body
        if time.monotonic() > deadline or (reply.status is not None and reply.status < 500 and reply.status != 429):
            raise RuntimeError(f"login {username} failed: {reply.status} {reply.body}")
        time.sleep(1)
