"""What a person sees on the page: every visible text node and the labels a screen reader speaks, and the
check that switching the language left no Vietnamese behind (proper names apart)."""

from __future__ import annotations

import re

from playwright.sync_api import Page

from devices.site import Site

# Letters only Vietnamese uses here (English text has none of them); NFC, as the app and the site use.
VIETNAMESE = re.compile(r"[àáạảãâầấậẩẫăằắặẳẵèéẹẻẽêềếệểễìíịỉĩòóọỏõôồốộổỗơờớợởỡùúụủũưừứựửữỳýỵỷỹđ]", re.IGNORECASE)
LETTER = re.compile(r"[^\W\d_]")

# Visible text nodes, plus aria-label / alt / placeholder of visible elements. Elements marked data-raw hold
# the hub's own records shown as written (device ids, MQTT topics, audit details), not interface text.
VISIBLE_TEXT_JS = """
() => {
  const out = [];
  const seen = (el) => el && !el.closest('[data-raw]') && el.checkVisibility({ visibilityProperty: true });
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const text = walker.currentNode.textContent.trim();
    if (text && seen(walker.currentNode.parentElement)) out.push(text);
  }
  for (const el of document.body.querySelectorAll('[aria-label], [alt], [placeholder]')) {
    if (!seen(el)) continue;
    for (const name of ['aria-label', 'alt', 'placeholder']) {
      const value = (el.getAttribute(name) || '').trim();
      if (value) out.push(value);
    }
  }
  return out;
}
"""


def visible_texts(page: Page) -> list[str]:
    texts: list[str] = page.evaluate(VISIBLE_TEXT_JS)
    return texts


def proper_names(site: Site, people: list[str]) -> list[str]:
    """Names that stay as they are in any language: the site inventory's and the people's. Longest first,
    so "Ngõ 10" is taken out before "Ngõ 1"."""
    names = {site.name, site.commune, site.district, site.province, *people}
    for items in (site.roads, site.alleys, site.zones, site.cabinets, site.gates, site.devices):
        names.update(item.name for item in items)
    return sorted(names, key=len, reverse=True)


def without_names(text: str, names: list[str]) -> str:
    for name in names:
        text = text.replace(name, " ")
    return text.strip()


def language_leftovers(before: list[str], after: list[str], names: list[str]) -> list[str]:
    """What did not switch: any English-side string with a Vietnamese letter, and any string with letters
    that reads the same before and after (names removed from both)."""
    vi = {without_names(t, names) for t in before}
    en = {without_names(t, names) for t in after}
    with_vietnamese = sorted(t for t in en if VIETNAMESE.search(t))
    unchanged = sorted(t for t in vi & en if LETTER.search(t))
    return with_vietnamese + [f"unchanged: {t}" for t in unchanged if t not in with_vietnamese]
