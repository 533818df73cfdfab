"""The printable evidence certificate (存证证书): an A4 PDF laying out a verified summary.

The certificate is a reading of the bundle, not the evidence: the bundle file is, and the
certificate names it by its SHA-256 (in the number, the digest table and the QR code) and
says how anyone can check it. It is only made from a summary of a bundle that verified.

Set as Chinese official documents are: a Song/Ming face for text, a Hei face for headings,
sections numbered 一、二、三. The fonts are embedded (subsets of the TrueType faces of
`fonts`), so the text prints and extracts the same on any machine; nothing is fetched while
rendering. The QR code is drawn as vector squares from segno's matrix. Output is invariant:
the same summary and issue time give the same bytes.
"""

from __future__ import annotations

import io
import re
from datetime import datetime
from typing import Any
from xml.sax.saxutils import escape

import segno
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    CondPageBreak,
    Flowable,
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
    paragraph,
)

from evanchor.anchor.report.errors import CertificateRefused
from evanchor.anchor.report.fonts import CertificateFonts, certificate_fonts
from evanchor.anchor.report.language import Lang, dual_time, pick
from evanchor.anchor.report.statements import BASIS_TAGS, Basis, Section, Statement
from evanchor.anchor.report.summary import Summary, qr_payload

SONG, HEI, SERIF, SANS, MONO = (
    "EvanchorSong", "EvanchorHei", "EvanchorSerif", "EvanchorSans", "EvanchorMono"
)  # fmt: skip
LATIN_OF = {SONG: SERIF, HEI: SANS, MONO: MONO}
"""The Latin face set beside each CJK face: text is split into runs of either script."""
CJK_OF = {SONG: SONG, HEI: HEI, MONO: HEI}
_CJK = re.compile(
    "[\u2e80-\u2fff\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
    "\uff00-\uffef\u2014\u2026\u201c\u201d\u2018\u2019\u00b7]+"
)
INK = colors.HexColor("#1a1a1a")
SEAL_RED = colors.HexColor("#b22222")
RULE = colors.HexColor("#8c8c8c")
SHADE = colors.HexColor("#f3f1ec")
TAG_COLOURS = {
    Basis.VERIFIED: colors.HexColor("#1e6b34"),
    Basis.CLAIM: colors.HexColor("#8a5a00"),
    Basis.NOT_PROVEN: colors.HexColor("#6b6b6b"),
}
MARGIN = 18 * mm
CONTENT_WIDTH = A4[0] - 2 * MARGIN


CANNOT_START_LINE = "，：；！？》」』〉"
"""Full-width punctuation that must not begin a line (Chinese line-breaking rules), beyond the
closing marks ReportLab already keeps off a line's start (、。）」 and others)."""


def _register(fonts: CertificateFonts) -> None:
    # ReportLab's CJK line breaking reads this module global; its list lacks the full-width
    # comma and colon that Chinese text uses, which would otherwise start lines.
    known = str(getattr(paragraph, "ALL_CANNOT_START", ""))
    missing = "".join(c for c in CANNOT_START_LINE if c not in known)
    if missing:
        setattr(paragraph, "ALL_CANNOT_START", known + missing)  # noqa: B010 - not in the stubs
    faces = (
        (SONG, fonts.song),
        (HEI, fonts.hei),
        (SERIF, fonts.serif),
        (SANS, fonts.sans),
        (MONO, fonts.mono),
    )
    for name, face in faces:
        if name not in pdfmetrics.getRegisteredFontNames():
            pdfmetrics.registerFont(TTFont(name, str(face.path), subfontIndex=face.index))


class _Styles:
    """The paragraph styles of one language (Chinese wraps between any two characters)."""

    def __init__(self, lang: Lang) -> None:
        self.wrap = "CJK" if lang is Lang.ZH else None
        # English titles in the serif: a bold sans at this size is too loud beside Chinese.
        title_face = HEI if lang is Lang.ZH else SONG
        self.title = self.make("title", font=title_face, size=28, leading=34, alignment=TA_CENTER)
        self.subtitle = self.make(
            "subtitle", size=10.5, leading=14, alignment=TA_CENTER, textColor=RULE
        )
        self.heading = self.make(
            "heading", font=HEI, size=12.5, leading=17, spaceBefore=9, spaceAfter=4
        )
        self.note = self.make(
            "note", size=8.5, leading=12, textColor=colors.HexColor("#444444"), spaceAfter=3
        )
        self.label = self.make("label", font=HEI, size=8.8, leading=12.5)
        self.text = self.make("text", size=9.2, leading=13)
        self.digest = self.make("digest", font=MONO, size=8, leading=11.5, wordWrap="CJK")
        self.digest_small = self.make(
            "digest_small", font=MONO, size=7.2, leading=11, wordWrap="CJK"
        )
        self.tag = self.make("tag", font=HEI, size=8, leading=11)
        self.outcome = self.make(
            "outcome", font=HEI, size=14, leading=19, textColor=TAG_COLOURS[Basis.VERIFIED]
        )
        self.caption = self.make(
            "caption", size=7.8, leading=10.5, textColor=RULE, alignment=TA_CENTER
        )

    def make(
        self, name: str, *, font: str = SONG, size: float, leading: float, **more: Any
    ) -> ParagraphStyle:
        settings: dict[str, Any] = {"textColor": INK, "wordWrap": self.wrap, **more}
        return ParagraphStyle(name, fontName=font, fontSize=size, leading=leading, **settings)


def _markup(text: str, style: ParagraphStyle) -> str:
    """Paragraph markup of plain `text`: escaped, line breaks kept, and each run of Latin
    text set in the Latin face that goes with the style's CJK face."""
    cjk = CJK_OF[style.fontName]
    latin = LATIN_OF[style.fontName]
    parts = []
    position = 0
    for match in _CJK.finditer(text):
        parts.append((latin, text[position : match.start()]))
        parts.append((cjk, match.group()))
        position = match.end()
    parts.append((latin, text[position:]))
    return "".join(
        f'<font face="{face}">{escape(run)}</font>'.replace("\n", "<br/>")
        for face, run in parts
        if run
    )


def _para(text: str, style: ParagraphStyle) -> Paragraph:
    return Paragraph(_markup(text, style), style)


class QRCode(Flowable):
    """A QR code of `payload`, `size` points wide, drawn module by module (vector, crisp
    in print), with the standard four-module quiet zone."""

    def __init__(self, payload: str, size: float) -> None:
        super().__init__()
        self.code = segno.make(payload, error="m", micro=False)
        self.size = size

    def wrap(self, avail_width: float, avail_height: float) -> tuple[float, float]:
        return self.size, self.size

    def draw(self) -> None:
        matrix = self.code.matrix
        count = len(matrix) + 8
        module = self.size / count
        canvas = self.canv
        canvas.setFillColor(colors.white)
        canvas.rect(0, 0, self.size, self.size, stroke=0, fill=1)
        canvas.setFillColor(colors.black)
        for row, line in enumerate(matrix):
            y = self.size - (row + 5) * module
            for column, dark in enumerate(line):
                if dark:
                    canvas.rect((column + 4) * module, y, module, module, stroke=0, fill=1)


class _Pages:
    """Draws the frame, the running head, the time of issue and "page i of n" on each page."""

    def __init__(self, summary: Summary, issued: str, total: int) -> None:
        self.summary = summary
        self.issued = issued
        self.total = total

    def decorate(self, canvas: Canvas, document: Any) -> None:
        lang = self.summary.lang
        width, height = A4
        canvas.saveState()
        canvas.setStrokeColor(SEAL_RED)
        canvas.setLineWidth(1.2)
        canvas.rect(10 * mm, 10 * mm, width - 20 * mm, height - 20 * mm)
        canvas.setLineWidth(0.4)
        canvas.rect(11.5 * mm, 11.5 * mm, width - 23 * mm, height - 23 * mm)
        canvas.setFillColor(RULE)
        canvas.setFont(HEI, 7.5)
        head = pick(lang, "存证证书", "Evidence Certificate")
        canvas.drawString(MARGIN, height - 15 * mm, f"{head}  {self.summary.certificate_number}")
        page, total = canvas.getPageNumber(), self.total
        canvas.drawRightString(
            width - MARGIN,
            14 * mm,
            pick(lang, f"第 {page} 页，共 {total} 页", f"Page {page} of {total}"),
        )
        canvas.drawString(MARGIN, 14 * mm, self.issued)
        canvas.restoreState()


def render_certificate(
    summary: Summary, *, issued_at: datetime, verify_url: str | None = None
) -> bytes:
    """The certificate of `summary` as PDF bytes.

    Requires a summary of a verified bundle: raises CertificateRefused otherwise, so that no
    certificate can exist for evidence that failed. `issued_at` is printed as the time of
    issue (the issuing computer's clock: said so on the page); `verify_url`, if given, is
    added to the QR code and the page as where the bundle can be checked. Raises FontMissing
    if the fonts are not installed.
    """
    if not summary.verified:
        raise CertificateRefused(summary.failed_step or "?", summary.failure or "not verified")
    _register(certificate_fonts())
    lang = summary.lang
    issued = pick(
        lang,
        f"出具时间：{dual_time(issued_at, lang)}（出具方计算机时钟）",
        f"Issued {dual_time(issued_at, lang)} (the issuing computer's clock)",
    )
    # Twice: the first pass counts the pages that "page i of n" needs (the footer does not
    # change the layout, so the second pass has as many).
    _, pages = _build(summary, verify_url, _Pages(summary, issued, 0))
    pdf, _ = _build(summary, verify_url, _Pages(summary, issued, pages))
    return pdf


def _build(summary: Summary, verify_url: str | None, pages: _Pages) -> tuple[bytes, int]:
    lang = summary.lang
    styles = _Styles(lang)
    story: list[Flowable] = [*_front(summary, styles, verify_url), Spacer(1, 4 * mm)]
    for section in summary.sections:
        story += _section(section, styles, lang)
    story += _closing(summary, styles)
    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=20 * mm,
        bottomMargin=20 * mm,
        title=pick(lang, "存证证书 ", "Evidence Certificate ") + summary.certificate_number,
        author="evanchor",
        subject=summary.bundle_sha256,
        creator="evanchor certificate",
        invariant=True,
        lang=lang.value,
        initialFontName=SONG,  # else the canvas names Helvetica, a font it cannot embed
    )
    document.build(story, onFirstPage=pages.decorate, onLaterPages=pages.decorate)
    return buffer.getvalue(), document.page


def _front(summary: Summary, styles: _Styles, verify_url: str | None) -> list[Flowable]:
    lang = summary.lang
    title = pick(lang, "存 证 证 书", "Evidence Certificate")
    subtitle = pick(lang, "EVIDENCE CERTIFICATE", "存证证书")
    facts = [
        (pick(lang, "证书编号", "Certificate no."), summary.certificate_number, True),
        (pick(lang, "证据包文件", "Bundle file"), summary.bundle_name, False),
        (pick(lang, "证据包 SHA-256", "Bundle SHA-256"), summary.bundle_sha256, True),
    ]
    if verify_url:
        facts.append((pick(lang, "核验页面", "Verification page"), verify_url, True))
    rows: list[list[Any]] = [
        [
            _para(label, styles.label),
            _para(value, styles.digest_small if mono else styles.text),
        ]
        for label, value, mono in facts
    ]
    verdict = pick(lang, "核验结论：已验证（VERIFIED）", "Outcome: VERIFIED")
    rows.append([_para(verdict, styles.outcome), _para("", styles.text)])
    info = Table(rows, colWidths=[26 * mm, CONTENT_WIDTH - 26 * mm - 40 * mm])
    info.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("FONT", (0, 0), (-1, -1), SONG),  # cells are set in it: never Helvetica
                ("SPAN", (0, len(rows) - 1), (1, len(rows) - 1)),
                ("TOPPADDING", (0, len(rows) - 1), (-1, len(rows) - 1), 6),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
            ]
        )
    )
    qr = QRCode(qr_payload(summary, verify_url), 36 * mm)
    caption = _para(
        pick(
            lang,
            "扫码取得证据包 SHA-256 与核验方法",
            "Scan: the bundle's SHA-256 and how to check it",
        ),
        styles.caption,
    )
    head = Table(
        [[info, [qr, caption]]],
        colWidths=[CONTENT_WIDTH - 40 * mm, 40 * mm],
    )
    head.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("FONT", (0, 0), (-1, -1), SONG),  # cells are set in it: never Helvetica
                ("ALIGN", (1, 0), (1, 0), "CENTER"),
                ("LINEABOVE", (0, 0), (-1, 0), 1.2, SEAL_RED),
                ("LINEBELOW", (0, 0), (-1, 0), 1.2, SEAL_RED),
                ("TOPPADDING", (0, 0), (-1, -1), 6),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 6),
            ]
        )
    )
    return [
        Spacer(1, 2 * mm),
        _para(title, styles.title),
        _para(subtitle, styles.subtitle),
        Spacer(1, 5 * mm),
        head,
    ]


def _section(section: Section, styles: _Styles, lang: Lang) -> list[Flowable]:
    heading = _para(section.title, styles.heading)
    parts: list[Flowable] = [heading]
    if section.note:
        parts.append(_para(section.note, styles.note))
    guide = all(s.basis is Basis.GUIDE for s in section.statements)
    label_width = 10 * mm if guide else 40 * mm
    rows = [
        [_label(statement, styles, lang), _value(statement, styles)]
        for statement in section.statements
    ]
    widths = [label_width, CONTENT_WIDTH - label_width]
    table = Table(rows, colWidths=widths, repeatRows=0)
    commands: list[Any] = [
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("FONT", (0, 0), (-1, -1), SONG),  # cells are set in it: never Helvetica
        ("LINEBELOW", (0, 0), (-1, -1), 0.3, RULE),
        ("LINEABOVE", (0, 0), (-1, 0), 0.8, INK),
        ("TOPPADDING", (0, 0), (-1, -1), 3),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 3.5),
        ("LEFTPADDING", (0, 0), (-1, -1), 4),
        ("RIGHTPADDING", (0, 0), (-1, -1), 4),
    ]
    if not guide:
        commands.append(("BACKGROUND", (0, 0), (0, -1), SHADE))
    table.setStyle(TableStyle(commands))
    # A heading never ends a page alone: keep it with the table's first rows.
    return [CondPageBreak(40 * mm), KeepTogether(parts), table]


def _label(statement: Statement, styles: _Styles, lang: Lang) -> Any:
    """A statement's label, with its basis tag beneath it (in the label's column, so that the
    text beside it reads and copies out without the tag breaking into it)."""
    label = _para(statement.label, styles.label)
    tag = BASIS_TAGS.get(statement.basis)
    if tag is None:
        return label
    colour = TAG_COLOURS[statement.basis]
    style = ParagraphStyle("tag", parent=styles.tag, textColor=colour)
    zh, en = tag
    return [label, _para(pick(lang, f"［{zh}］", f"[{en}]"), style)]


def _value(statement: Statement, styles: _Styles) -> Any:
    """A statement's text; a digest's first line monospaced, any explanation after it not."""
    if not statement.digest:
        return _para(statement.text, styles.text)
    digest, _, explanation = statement.text.partition("\n")
    if not explanation:
        return _para(digest, styles.digest)
    return [_para(digest, styles.digest), _para(explanation, styles.text)]


def _closing(summary: Summary, styles: _Styles) -> list[Flowable]:
    lang = summary.lang
    text = pick(
        lang,
        "本证书由 evanchor 依据上述证据包自动生成，是对证据包核验结果的说明，本身不是证据："
        "证据是证据包文件，任何人均可按第九部分的方法独立核验，无需信任本证书的出具方或"
        "出具证据的节点。标注“仅为声明”的内容未经证明，标注“未证明”的内容本证据包不能证明。",
        "Made by evanchor from the bundle above. It states what verifying the bundle showed"
        " and is not itself the evidence: the bundle file is, and anyone can check it as part 9"
        " says, without trusting whoever issued this certificate or the node that issued the"
        " evidence. What is tagged 'claim only' is not proven; what is tagged 'not proven'"
        " this bundle cannot show.",
    )
    return [Spacer(1, 6 * mm), _para(text, styles.note)]
