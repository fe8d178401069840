"""Debian's chromium, headless, through its driver (selenium): the map's tests and screenshot."""

from __future__ import annotations

import shutil

from selenium import webdriver
from selenium.webdriver.chrome.service import Service

CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"


def headless_chromium(width: int = 1200, height: int = 800) -> webdriver.Chrome:
    """A headless chromium window of ``width`` x ``height`` pixels (root: no sandbox)."""
    options = webdriver.ChromeOptions()
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", f"--window-size={width},{height}"):
        options.add_argument(argument)
    return webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
