"""A citizen's or agent's browser without JavaScript: real HTTP with requests."""

import html
import re

import requests


class Browser:
    def __init__(self, base_url: str):
        self.base_url = base_url.rstrip("/")
        self.session = requests.Session()
        self.page: requests.Response | None = None

    def url(self, path: str) -> str:
        return path if path.startswith("http") else self.base_url + path

    def get(self, path: str, **kwargs) -> requests.Response:
        self.page = self.session.get(self.url(path), timeout=30, **kwargs)
        return self.page

    def post(self, path: str, data=None, files=None, **kwargs) -> requests.Response:
        data = dict(data or {})
        data["csrfmiddlewaretoken"] = self.session.cookies.get("csrftoken", "")
        self.page = self.session.post(
            self.url(path),
            data=data,
            files=files,
            timeout=30,
            headers={"Referer": self.url(path)},
            **kwargs,
        )
        return self.page

    @property
    def text(self) -> str:
        assert self.page is not None
        return html.unescape(self.page.text)

    @property
    def path(self) -> str:
        assert self.page is not None
        return self.page.url.removeprefix(self.base_url)

    def hidden(self, name: str) -> str:
        match = re.search(rf'name="{name}" value="([^"]*)"', self.page.text)
        assert match, f"no hidden field {name}"
        return html.unescape(match.group(1))

    def references(self) -> list[str]:
        return re.findall(r'class="reference" dir="ltr">([^<]+)<', self.page.text)
