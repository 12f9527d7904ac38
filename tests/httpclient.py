"""A small HTTP client for tests (nameko's web_session fixture does not work with Werkzeug 3)."""
import json
import urllib.error
import urllib.parse
import urllib.request
import uuid


class Answer:
    def __init__(self, status, headers, body):
        self.status, self.headers, self.body = status, headers, body

    @property
    def json(self):
        return json.loads(self.body.decode("utf-8"))

    @property
    def text(self):
        return self.body.decode("utf-8")

    def __repr__(self):
        return f"<Answer {self.status} {self.body[:300]!r}>"


class HttpClient:
    def __init__(self, base_url, token=None):
        self.base_url, self.token = base_url.rstrip("/"), token

    def with_token(self, token):
        return HttpClient(self.base_url, token)

    def request(self, method, path, *, json_body=None, params=None, data=None, headers=None):
        url = self.base_url + urllib.parse.quote(path, safe="/:?=&%")
        if params:
            url += "?" + urllib.parse.urlencode(params, doseq=True)
        headers = dict(headers or {})
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        if json_body is not None:
            data = json.dumps(json_body, ensure_ascii=False).encode("utf-8")
            headers["Content-Type"] = "application/json"
        request = urllib.request.Request(url, data=data, headers=headers, method=method)
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return Answer(response.status, dict(response.headers), response.read())
        except urllib.error.HTTPError as error:
            return Answer(error.code, dict(error.headers), error.read())

    def get(self, path, **kwargs):
        return self.request("GET", path, **kwargs)

    def post(self, path, **kwargs):
        return self.request("POST", path, **kwargs)

    def put(self, path, **kwargs):
        return self.request("PUT", path, **kwargs)

    def upload(self, path, *, fields, file_field, filename, content, content_type="application/pdf"):
        """A multipart/form-data POST with one file."""
        boundary = uuid.uuid4().hex
        parts = []
        for name, value in fields.items():
            parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
        disposition = f'form-data; name="{file_field}"; filename="{filename}"'
        parts.append(f"--{boundary}\r\nContent-Disposition: {disposition}\r\nContent-Type: {content_type}\r\n\r\n".encode())
        body = b"".join(parts) + content + f"\r\n--{boundary}--\r\n".encode()
        return self.request("POST", path, data=body,
                            headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})
