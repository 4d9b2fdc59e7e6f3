"""Markdown notes rendered safely: every character of the source is escaped first.

A small subset is understood: ``#`` headings, paragraphs, ``-``/``*``/``1.`` lists, fenced and
indented code, ``> `` quotes, ``**bold**``, ``*italic*``, `` `code` `` and ``[text](url)`` links
with http(s), mailto or relative URLs. Raw HTML in a note stays visible text; nothing can run.
"""

from __future__ import annotations

import html
import re

from markupsafe import Markup

_LINK = re.compile(r"\[([^\]\n]+)\]\(([^)\s]+)\)")
_BOLD = re.compile(r"\*\*(.+?)\*\*")
_ITALIC = re.compile(r"(?<![\w*])\*(?!\s)(.+?)(?<!\s)\*(?![\w*])")
_CODE = re.compile(r"`([^`\n]+)`")
_HEADING = re.compile(r"^(#{1,4})\s+(.*)$")
_BULLET = re.compile(r"^\s*[-*]\s+(.*)$")
_NUMBERED = re.compile(r"^\s*\d+[.)]\s+(.*)$")
_SAFE_URL = re.compile(r"^(https?://|mailto:|/|#|\./|\.\./|[\w.-]+(/|$))", re.IGNORECASE)


def render_markdown(source: str) -> Markup:
    """HTML for a note (an empty string for ``None``)."""
    lines = (source or "").replace("\r\n", "\n").split("\n")
    out: list = []
    index = 0
    while index < len(lines):
        index = _block(lines, index, out)
    return Markup("\n".join(out))


def _block(lines: list, index: int, out: list) -> int:
    line = lines[index]
    if line.strip().startswith("```"):
        end = next(
            (j for j in range(index + 1, len(lines)) if lines[j].strip().startswith("```")), len(lines)
        )
        out.append("<pre><code>" + html.escape("\n".join(lines[index + 1 : end])) + "</code></pre>")
        return end + 1
    if not line.strip():
        return index + 1
    heading = _HEADING.match(line)
    if heading:
        level = len(heading.group(1)) + 2  # a note sits under the page's h1/h2
        out.append(f"<h{level}>{_inline(heading.group(2))}</h{level}>")
        return index + 1
    for pattern, tag in ((_BULLET, "ul"), (_NUMBERED, "ol")):
        if pattern.match(line):
            items = []
            while index < len(lines) and (item := pattern.match(lines[index])):
                items.append("<li>" + _inline(item.group(1)) + "</li>")
                index += 1
            out.append(f"<{tag}>" + "".join(items) + f"</{tag}>")
            return index
    if line.startswith(">"):
        quoted = []
        while index < len(lines) and lines[index].startswith(">"):
            quoted.append(lines[index][1:].strip())
            index += 1
        out.append("<blockquote>" + _inline(" ".join(quoted)) + "</blockquote>")
        return index
    paragraph = []
    while index < len(lines) and lines[index].strip() and not _starts_block(lines[index]):
        paragraph.append(lines[index].strip())
        index += 1
    out.append("<p>" + "<br>".join(_inline(p) for p in paragraph) + "</p>")
    return index


def _starts_block(line: str) -> bool:
    return bool(
        line.strip().startswith("```")
        or _HEADING.match(line)
        or _BULLET.match(line)
        or _NUMBERED.match(line)
        or line.startswith(">")
    )


def _inline(text: str) -> str:
    """Escape, then mark up code spans (whose content is left alone), links, bold and italic."""
    parts = _CODE.split(text)
    rendered = []
    for position, part in enumerate(parts):
        if position % 2:
            rendered.append("<code>" + html.escape(part) + "</code>")
            continue
        escaped = html.escape(part)
        escaped = _LINK.sub(_link, escaped)
        escaped = _BOLD.sub(r"<strong>\1</strong>", escaped)
        rendered.append(_ITALIC.sub(r"<em>\1</em>", escaped))
    return "".join(rendered)


def _link(match: re.Match) -> str:
    text, url = match.group(1), html.unescape(match.group(2))
    if not _SAFE_URL.match(url) or (
        ":" in url.split("/")[0] and not url.lower().startswith(("http:", "https:", "mailto:"))
    ):
        return match.group(0)
    return f'<a href="{html.escape(url, quote=True)}" rel="noopener noreferrer">{text}</a>'
