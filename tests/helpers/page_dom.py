"""A page's DOM, as headless Chromium dumps it, read back as a person reads it: the text of each metric card
(``data-metric``) and of the console-errors box; subclasses read more (``start`` sees every other tag)."""

from __future__ import annotations

from html.parser import HTMLParser


class CardsOutline(HTMLParser):
    """The metric cards' texts and the console-errors box of a dumped DOM."""

    def __init__(self, dom: str) -> None:
        super().__init__()
        self.metrics: dict[str, str] = {}
        self.errors = ""
        self._into: str | None = None
        self._text = ""
        self.feed(dom)

    def start(self, tag: str, attrs: dict[str, str]) -> None:
        """A tag that is neither a metric card nor the console-errors box (for subclasses)."""

    def handle_starttag(self, tag: str, attrs: list) -> None:
        a = {k: v or "" for k, v in attrs}
        if "data-metric" in a:
            self._into, self._text = "metric:" + a["data-metric"], ""
        elif a.get("id") == "console-errors":
            self._into, self._text = "errors", ""
        else:
            self.start(tag, a)

    def handle_data(self, data: str) -> None:
        if self._into is not None:
            self._text += data

    def handle_endtag(self, tag: str) -> None:
        if self._into and self._into.startswith("metric:") and tag == "div":
            self.metrics[self._into.split(":", 1)[1]] = self._text
        elif self._into == "errors" and tag == "pre":
            self.errors = self._text
        else:
            return
        self._into = None
