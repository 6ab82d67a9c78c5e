"""The HTML report: one self-contained page (no script, no network, no CDN) that a manager
opens from a USB stick, built as a list of sections at one commit and stamped with the
store ID and that commit. Charts are pygal SVG inlined with its script turned off."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from html import escape
from typing import Any

from formulactl.model.sealed import is_sealed
from formulactl.reports import sections
from formulactl.reports.churn import churn
from formulactl.reports.complaints import complaints_report
from formulactl.reports.kpi import history_commits, kpi_report
from formulactl.reports.orders import order_book
from formulactl.reports.quality_common import basis_at
from formulactl.reports.satisfaction import satisfaction_report
from formulactl.reports.sections import Chart, Section
from formulactl.reports.tracesvg import trace_svg
from formulactl.trace.session import Session
from formulactl.trace.tables import Table

# Chinese text needs a CJK font; the first one the reader's machine has is used.
FONTS = (
    '"Noto Sans CJK SC", "Source Han Sans SC", "PingFang SC", "Microsoft YaHei", '
    '"WenQuanYi Micro Hei", "Noto Sans", sans-serif'
)
DECRYPTED_WARNING = (
    "This page shows confidential values opened with a reader's key. "
    "Keep it as private as the key itself."
)
# `report churn`'s default --factor: a gap above twice the customer's usual interval.
CHURN_FACTOR = 2.0
# Nothing may load from anywhere: the page is checked by the browser as well as by us.
POLICY = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"


@dataclass(frozen=True)
class HtmlReport:
    store_id: str
    commit: str
    as_of: str
    decrypted: bool
    sections: tuple[Section, ...]

    def as_dict(self) -> dict[str, Any]:
        return {
            "report": "html",
            "store_id": self.store_id,
            "commit": self.commit,
            "as_of": self.as_of,
            "decrypted": self.decrypted,
            "sections": [section.as_dict() for section in self.sections],
        }

    def tables(self) -> list[Table]:
        return [found for section in self.sections for found in section.tables]

    @property
    def charts(self) -> int:
        return sum(1 for s in self.sections if s.chart) + sum(1 for s in self.sections if s.picture)


def build_report(session: Session, today: date, trace: str | None = None) -> HtmlReport:
    """Every section at the session's commit, all judged on `today` (what is due or overdue,
    the churn gap): the archive's own sections and the reports `report complaints`,
    `satisfaction --period month`, `churn` and `kpi` give for that commit and day. Sealed
    values stay sealed unless the session carries a reader's identities."""
    store, snapshot = session.store, session.snapshot
    basis = basis_at(store.root, store.settings.store_id, snapshot, today)
    history = session.history
    signed = history_commits(history, basis.commit)
    found = [
        sections.overview(snapshot),
        sections.customers(snapshot),
        sections.reviews_due(snapshot, today),
        sections.complaints(complaints_report(basis)),
        sections.satisfaction(satisfaction_report(basis, "month")),
        # Churn reads quantities and dates only: no prices opened, as `report churn` does.
        sections.churn(churn(order_book(store, snapshot, [], today), snapshot, CHURN_FACTOR)),
        sections.kpi(kpi_report(basis, signed, history.signer)),
    ]
    if trace is not None:
        traced = session.trace(trace)
        found.append(
            Section(
                f"Trace of {traced.subject}",
                tuple(traced.tables()),
                note="Backwards to the input lots, forwards to customers and complaints.",
                picture=trace_svg(traced),
            )
        )
    return HtmlReport(
        session.store.settings.store_id,
        session.commit,
        today.isoformat(),
        bool(session.identities),
        tuple(found),
    )


def render_page(report: HtmlReport) -> str:
    """The whole page as text: UTF-8, its own styles, every chart inlined as SVG."""
    body = [
        "<header>",
        "<h1>formulactl report</h1>",
        f'<p class="stamp">Store <code id="store-id">{escape(report.store_id)}</code>, '
        f'commit <code id="commit">{escape(report.commit)}</code>, '
        f'as of <span id="as-of">{escape(report.as_of)}</span>.</p>',
    ]
    if report.decrypted:
        body.append(f'<p class="decrypted" role="alert">{escape(DECRYPTED_WARNING)}</p>')
    else:
        body.append('<p class="sealed">Confidential values are shown as “sealed”.</p>')
    body.append("<nav><ol>")
    body += [
        f'<li><a href="#s{n}">{escape(s.title)}</a></li>' for n, s in enumerate(report.sections)
    ]
    body += ["</ol></nav>", "</header>", "<main>"]
    for number, section in enumerate(report.sections):
        body.append(_section(number, section))
    body.append("</main>")
    return (
        '<!DOCTYPE html>\n<html lang="zh-CN">\n<head>\n<meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{POLICY}">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>formulactl report {escape(report.store_id)} {report.commit[:10]}</title>\n"
        f"<style>{_STYLE}</style>\n</head>\n<body>\n" + "\n".join(body) + "\n</body>\n</html>\n"
    )


def _section(number: int, section: Section) -> str:
    parts = [f'<section id="s{number}" data-title="{escape(section.title)}">']
    parts.append(f"<h2>{escape(section.title)}</h2>")
    if section.note:
        parts.append(f'<p class="note">{escape(section.note)}</p>')
    if section.figures:
        parts.append('<dl class="figures">')
        for name, value in section.figures:
            parts.append(
                f'<div><dt>{escape(name)}</dt><dd data-figure="{escape(name)}">{value}</dd></div>'
            )
        parts.append("</dl>")
    if section.chart is not None:
        parts.append(f'<div class="chart">{chart_svg(section.chart, f"chart-{number}")}</div>')
    if section.picture:
        parts.append(f'<div class="chart picture">{section.picture}</div>')
    parts += [_table(found) for found in section.tables]
    parts.append("</section>")
    return "\n".join(parts)


def _table(found: Table) -> str:
    head = "".join(f"<th>{escape(column)}</th>" for column in found.columns)
    if not found.rows:
        title = escape(found.title)
        return f'<h3>{title}</h3>\n<p class="none" data-table="{title}">None.</p>'
    rows = "".join(
        "<tr>" + "".join(f"<td>{escape(shown(cell))}</td>" for cell in row) + "</tr>"
        for row in found.rows
    )
    return (
        f"<h3>{escape(found.title)}</h3>\n"
        f'<table data-table="{escape(found.title)}"><thead><tr>{head}</tr></thead>'
        f"<tbody>{rows}</tbody></table>"
    )


def shown(value: Any) -> str:
    """A cell as text; a sealed value never reaches the page, whatever a section put there."""
    if value is None:
        return ""
    if is_sealed(value):
        return "sealed"
    return str(value)


def chart_svg(chart: Chart, chart_id: str) -> str:
    """A pygal chart as inline SVG: no script (pygal's tooltips load one from a CDN), no
    comments, no random IDs (the same commit gives the same page)."""
    import pygal
    from pygal.style import Style

    makers = {"bar": pygal.Bar, "stacked": pygal.StackedBar, "line": pygal.Line, "pie": pygal.Pie}
    drawn = makers[chart.kind](
        js=[],
        disable_xml_declaration=True,
        width=720,
        height=320,
        title=chart.title,
        print_values=True,
        print_zeroes=False,
        show_legend=len(chart.series) > 1,
        legend_at_bottom=True,
        style=Style(font_family=FONTS.replace('"', ""), background="white"),
    )
    drawn.x_labels = list(chart.labels)
    for name, values in chart.series:
        drawn.add(name, list(values))
    text: str = drawn.render(is_unicode=True)
    # pygal writes its config into a <script> even with js=[]: the page runs no script.
    text = re.sub(r"<!--.*?-->|<script.*?</script>", "", text, flags=re.S)
    text = re.sub(
        r"chart-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", chart_id, text
    )
    # Inline SVG in HTML needs no namespace declarations, so the page names no URL at all.
    return re.sub(r'\s+xmlns(:\w+)?="[^"]*"', "", text)


def summary(report: HtmlReport, output: str) -> str:
    """The one line the command prints after writing the page."""
    state = "decrypted by a reader" if report.decrypted else "sealed values hidden"
    return (
        f"Wrote {output}: {len(report.sections)} sections, {report.charts} charts, "
        f"store {report.store_id}, commit {report.commit[:10]} ({state})"
    )


_STYLE = (
    f"body{{font-family:{FONTS};margin:2em auto;max-width:1100px;color:#222;padding:0 1em}}"
    "h1{margin-bottom:.2em}code{font-size:.9em}"
    ".decrypted{background:#fde2e1;border:2px solid #c62828;padding:.6em;font-weight:bold}"
    ".sealed{color:#555}.note{color:#555}"
    "table{border-collapse:collapse;margin:.5em 0 1.5em}"
    "th,td{border:1px solid #ccc;padding:.25em .6em;text-align:left;vertical-align:top}"
    "th{background:#f3f3f3}.figures{display:flex;gap:2em}.figures dt{color:#555}"
    ".figures dd{font-size:1.6em;margin:0}.chart svg{max-width:100%;height:auto}"
    ".trace .node rect{fill:#eef4fb;stroke:#4a78a8}.trace text{font-size:12px}"
    ".trace .head{font-weight:bold;font-size:14px}"
    ".trace .edge{stroke:#888;fill:none;marker-end:url(#arrow)}"
    "@media print{nav{display:none}section{break-inside:avoid}}"
)
