"""Checks run inside the page: axe-core, horizontal scrolling, keyboard focus."""

from __future__ import annotations

import time
from typing import Any

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page

WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def axe_violations(page: Page, axe_source: str) -> list[dict[str, Any]]:
    """Run axe-core (injected through the DevTools protocol, so the page's strict CSP does not
    block it) for WCAG 2.0 and 2.1, levels A and AA; return the violations, shortened."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(axe_source)
    result = page.evaluate(
        """tags => axe.run(document, {runOnly: {type: 'tag', values: tags},
                                       resultTypes: ['violations']})""",
        WCAG_TAGS,
    )
    return [
        {
            "id": v["id"],
            "impact": v["impact"],
            "help": v["help"],
            "nodes": [
                {"target": n["target"], "summary": n.get("failureSummary", "")}
                for n in v["nodes"][:5]
            ],
        }
        for v in result["violations"]
    ]


def horizontal_overflow(page: Page) -> int:
    """How many CSS pixels the page is wider than the viewport (0 when it reflows)."""
    return int(page.evaluate("document.documentElement.scrollWidth - window.innerWidth"))


def overflowing_elements(page: Page) -> list[str]:
    """Elements that stick out to the right of the viewport (for a useful failure message)."""
    return list(
        page.evaluate(
            """() => [...document.querySelectorAll('body *')]
                 .filter(e => e.getBoundingClientRect().right > window.innerWidth + 0.5
                              || e.scrollWidth > e.clientWidth + 1)
                 .slice(0, 10)
                 .map(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '')
                      + (e.className ? '.' + String(e.className).replace(/ /g, '.') : ''))"""
        )
    )


ACTIVE = """() => {
  const e = document.activeElement;
  if (!e || e === document.body || e === document.documentElement) return null;
  const r = e.getBoundingClientRect();
  return {
    tag: e.tagName.toLowerCase(), id: e.id, name: e.getAttribute('name') || '',
    value: e.getAttribute('value') || '', text: (e.textContent || '').trim().slice(0, 40),
    x: r.left, y: r.top, width: r.width, height: r.height,
    scrollX: window.scrollX, scrollY: window.scrollY,
    inViewport: r.width > 0 && r.height > 0 && r.bottom > 0 && r.top < window.innerHeight
                && r.right > 0 && r.left < window.innerWidth,
  };
}"""

#: The styles that can show focus; read on the focused element and compared with its own
#: styles when it is not focused.
FOCUS_STYLE = """e => {
  const s = getComputedStyle(e);
  return {outlineStyle: s.outlineStyle, outlineWidth: parseFloat(s.outlineWidth),
          outlineColor: s.outlineColor, boxShadow: s.boxShadow,
          background: s.backgroundColor, color: s.color};
}"""


def active(page: Page) -> dict[str, Any] | None:
    result = page.evaluate(ACTIVE)
    return dict(result) if result else None


def tab_cycle(page: Page, limit: int = 150) -> list[dict[str, Any]]:
    """Press Tab through every stop of the page once, wherever focus starts (Tab leaves the
    page after its last stop and comes back at its first); return each stop with a clip of the
    screen around it while it has focus, and its focus styles."""
    stops: list[dict[str, Any]] = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        here = active(page)
        if here is None:
            continue
        if stops and _same(here, stops[0]):
            page.evaluate("document.activeElement.blur()")
            return stops
        here["style"] = page.evaluate(f"({FOCUS_STYLE})(document.activeElement)")
        here["clip"] = _around(page, here)
        here["focused_png"] = page.screenshot(clip=here["clip"])
        stops.append(here)
    raise AssertionError(f"Tab never came back to the first stop in {limit} presses")


def _same(a: dict[str, Any], b: dict[str, Any]) -> bool:
    """The same element: same identity, same place in the document."""
    keys = ("tag", "id", "name", "value", "text")
    return all(a[k] == b[k] for k in keys) and (
        a["x"] + a["scrollX"],
        a["y"] + a["scrollY"],
    ) == (b["x"] + b["scrollX"], b["y"] + b["scrollY"])


def _around(page: Page, stop: dict[str, Any], margin: float = 8) -> dict[str, float]:
    size = page.viewport_size or {"width": 1280, "height": 800}
    x, y = max(stop["x"] - margin, 0), max(stop["y"] - margin, 0)
    right = min(stop["x"] + stop["width"] + margin, size["width"])
    bottom = min(stop["y"] + stop["height"] + margin, size["height"])
    return {"x": x, "y": y, "width": max(right - x, 1), "height": max(bottom - y, 1)}


def unfocused_png(page: Page, stop: dict[str, Any]) -> bytes:
    """The same clip of the screen with nothing focused, scrolled as it was."""
    page.evaluate("([x, y]) => window.scrollTo(x, y)", [stop["scrollX"], stop["scrollY"]])
    return page.screenshot(clip=stop["clip"])


def tab_to(page: Page, selector: str, limit: int = 80, back: bool = False) -> dict[str, Any]:
    """Press Tab (Shift+Tab if ``back``) until the focused element matches ``selector``."""
    for _ in range(limit):
        page.keyboard.press("Shift+Tab" if back else "Tab")
        if page.evaluate("s => !!document.activeElement?.matches(s)", selector):
            here = active(page)
            assert here is not None
            return here
    raise AssertionError(f"{'Shift+' if back else ''}Tab never reached {selector}")


FIELD_NAMES = """() => [...new Set(
  [...document.querySelectorAll('#survey [name]:not([type=hidden])')]
    .filter(e => e.name && !e.name.startsWith('_')).map(e => e.name))]"""


def answer_by_keyboard(page: Page, answers: dict[str, str]) -> None:
    """Answer the questions of the page shown with the keyboard alone: Tab to each field in
    order, arrow keys or Space for radios and checkboxes, typing for text."""
    for name in page.evaluate(FIELD_NAMES):
        if name not in answers:
            continue
        value = answers[name]
        field = tab_to(page, f'[name="{name}"]')
        kind = page.evaluate("document.activeElement.type")
        if kind == "radio":
            if field["value"] == value:
                page.keyboard.press("Space")
            for _ in range(20):
                if page.evaluate("document.activeElement.value") == value:
                    break
                page.keyboard.press("ArrowDown")  # moves to the next choice and selects it
        elif kind == "checkbox":
            while page.evaluate("document.activeElement.value") != value:
                page.keyboard.press("Tab")
            page.keyboard.press("Space")
        else:
            page.keyboard.type(value)
        assert page.evaluate(
            """([n, v]) => [...document.querySelectorAll(`#survey [name="${n}"]`)].some(e =>
                 e.type === 'radio' || e.type === 'checkbox' ? e.checked && e.value === v
                                                             : e.value === v)""",
            [name, value],
        ), f"{name} = {value} was not entered"


ANSWERS_SHOWN = """() => document.body.hidden ? [] : [
  ...[...document.querySelectorAll('input:checked')].map(e => e.name + '=' + e.value),
  ...[...document.querySelectorAll('input[type=text], textarea')].filter(e => e.value)
       .map(e => e.name + '=' + e.value),
  ...[...document.querySelectorAll('input[type=hidden]')].filter(e => !e.name.startsWith('_'))
       .map(e => e.name + '=' + e.value),
]"""


def answers_on_page(page: Page) -> list[str]:
    """Every answer the page shows: chosen, typed, or carried in hidden fields (none while the
    page is hidden, as kiosk.js hides a page it is replacing)."""
    for _ in range(50):
        try:
            page.wait_for_load_state("load")
            return list(page.evaluate(ANSWERS_SHOWN))
        except PlaywrightError as e:  # the page went on to another one meanwhile
            if "destroyed" not in str(e) and "navigat" not in str(e):
                raise
            time.sleep(0.05)
    raise AssertionError("the page never settled")
