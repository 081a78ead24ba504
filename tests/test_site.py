"""The course website as a reader meets it: `mkdocs build` (what `make docs` runs) into a temporary
folder, then every page opened from the file system in Chromium — no console error, no network
request, every image and internal link resolving, the embedded explorer stepping forward and
backward, and the search finding LSTM."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

ROOT = Path(__file__).resolve().parents[1]
LOCAL = ("file://", "data:", "blob:", "about:")


def _browser():
    from test_viz import _chromium, _has_playwright

    if _chromium() is None or not _has_playwright():
        if os.environ.get("CI"):
            pytest.fail("CI must have Chromium and Playwright (see .ci/run)")
        pytest.skip("Chromium or Playwright not installed")
    return _chromium()


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    pytest.importorskip("mkdocs", reason="the docs extra (pip install -e '.[docs]') builds the site")
    out = tmp_path_factory.mktemp("site")
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    result = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--site-dir", str(out)], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=1200)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return out


class Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.targets: list[tuple[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        a = dict(attrs)
        for key in {"img": ("src",), "a": ("href",), "iframe": ("src",), "script": ("src",), "link": ("href",)}.get(tag, ()):
            if a.get(key):
                self.targets.append((tag, a[key]))


def pages(site: Path) -> list[Path]:
    return sorted(p for p in site.rglob("*.html") if p.name != "404.html")


def test_every_image_and_internal_link_resolves(site):
    missing, external = [], []
    for page in pages(site):
        parser = Links()
        parser.feed(page.read_text(encoding="utf-8"))
        for tag, target in parser.targets:
            url = urlsplit(target)
            if url.scheme in ("http", "https"):
                if tag in ("img", "iframe", "script") or (tag == "link" and "stylesheet" in target):
                    external.append(f"{page.relative_to(site)}: {tag} {target}")
                continue
            if url.scheme or not url.path:  # mailto:, data:, a fragment of the same page
                continue
            if not (page.parent / unquote(url.path)).resolve().exists():
                missing.append(f"{page.relative_to(site)}: {tag} {target}")
    assert not missing, "\n".join(missing[:30])
    assert not external, "\n".join(external[:30])  # nothing is loaded from the web at view time
    names = {p.relative_to(site).as_posix() for p in pages(site)}
    assert {"index.html", "gallery.html", "explore.html", "engine.html", "results.html", "api/engine.html"} <= names
    assert len([n for n in names if n.startswith("notebooks/")]) >= 5  # the overview and the chapters
    assert len(list((site / "gallery").glob("*.svg"))) >= 18


def test_every_page_loads_without_console_errors_or_network_requests(site):
    from playwright.sync_api import sync_playwright

    errors, requests = [], []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=_browser(), headless=True, args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        current = [""]
        page.on("console", lambda m: errors.append(f"{current[0]}: {m.text}") if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(f"{current[0]}: {e}"))
        page.on("request", lambda r: requests.append(f"{current[0]}: {r.url}") if not r.url.startswith(LOCAL) else None)
        for path in pages(site):
            current[0] = path.relative_to(site).as_posix()
            page.goto(path.as_uri(), wait_until="load")
            page.wait_for_timeout(100)
        browser.close()
    assert errors == [] and requests == []


def test_the_embedded_explorer_steps_forward_and_backward(site):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=_browser(), headless=True, args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        page.goto((site / "explore.html").as_uri(), wait_until="load")
        assert page.locator("iframe.explorer").count() >= 3
        frame = page.frame_locator("iframe.explorer").first
        step = lambda: int(re.search(r"step (\d+)", frame.locator("#caption").inner_text()).group(1))  # noqa: E731
        frame.locator("#caption").click()  # the reader clicks into the frame, then uses the arrow keys
        start = step()
        for _ in range(3):
            page.keyboard.press("ArrowRight")
        forward = step()
        page.keyboard.press("ArrowLeft")
        assert forward > start and step() < forward
        browser.close()


def test_the_search_finds_lstm(site):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=_browser(), headless=True, args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        page.goto((site / "index.html").as_uri(), wait_until="load")
        page.click("input.md-search__input")
        page.keyboard.type("LSTM")  # typed as a reader does: the search runs on key presses
        results = page.locator(".md-search-result__item")
        results.first.wait_for(timeout=15000)
        assert results.count() > 0 and "LSTM" in page.inner_text(".md-search-result")
        browser.close()
