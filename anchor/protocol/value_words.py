"""The words, in Chinese and English, for the coded values that schema revision 2 added:
whom a collection contact reached, which personal data it used, what a review found.

One table for every reader that prints them: the compliance report (anchor/compliance/
texts.py) and the record view of `evanchor verify` and the certificate (anchor/report/
record_view.py) word them alike, so a clerk reading both sees the same phrase for the same
value. The verification page carries the same tables in JavaScript (anchor/verify/js/page/
record_view.mjs); tests/verify_page holds them equal. Each table covers its `Literal` of
records.py exactly (tests/anchor/test_records.py).
"""

from __future__ import annotations

from collections.abc import Mapping

WordPair = tuple[str, str]
"""(Chinese, English). The tables are typed read-only (`Mapping`): nothing may change them."""

CONTACT_TARGETS: Mapping[str, WordPair] = {
    "debtor": ("债务人本人", "the debtor"),
    "guarantor": ("担保人", "a guarantor"),
    "third_party": ("第三方", "a third party"),
}
"""`contact_target` (records.ContactTarget)."""

DATA_CATEGORIES: Mapping[str, WordPair] = {
    "identity": ("身份信息", "identity data"),
    "contact": ("联系方式", "contact details"),
    "contact_list": ("通讯录", "address book"),
    "financial": ("财务信息", "financial data"),
    "location": ("位置信息", "location"),
    "voice_recording": ("录音", "voice recording"),
    "image": ("图像", "images"),
    "biometric": ("生物识别信息", "biometric data"),
    "health": ("健康信息", "health data"),
}
"""`data_categories` (records.DataCategory)."""

FINDINGS: Mapping[str, WordPair] = {
    "impersonation_of_authority": ("冒充公检法等机关", "impersonating the authorities"),
    "synthetic_media": ("合成音视频", "synthetic voice or video"),
    "threat": ("威胁", "threats"),
    "abusive_language": ("辱骂", "abusive language"),
    "false_legal_claim": ("虚假法律后果", "false legal claims"),
}
"""`findings` (records.Finding)."""
