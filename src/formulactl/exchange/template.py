"""`import --template KIND`: an empty sheet whose headers are the kind's fields, and the
mapping that reads it back, so a plant starts from a sheet that imports as it is.

The schemas carry no titles, so the headers come from the small table below (Chinese or
English); a field it does not know is headed by its own path. Required fields are marked
with ` *`, which the importer ignores when it matches headers.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from formulactl.errors import FormulaError
from formulactl.model.kinds import KINDS
from formulactl.model.sealed import ENVELOPE
from formulactl.model.workflow import WORKFLOW_FIELDS
from formulactl.store.schema import KindSchema

# field path (or `kind:path` where a kind names it its own way) → (Chinese, English)
TITLES: dict[str, tuple[str, str]] = {
    "customer:name": ("客户名称", "Customer name"),
    "customer:type": ("客户类型", "Customer type"),
    "customer:source": ("客户来源", "Source"),
    "interaction:contacts": ("在场联系人", "Contacts present"),
    "feedback:type": ("反馈类型", "Feedback type"),
    "id": ("编号", "ID"),
    "name": ("名称", "Name"),
    "legal_name": ("公司全称", "Legal name"),
    "tax_id": ("统一社会信用代码", "Tax ID"),
    "type": ("类型", "Type"),
    "class": ("客户等级", "Class"),
    "industry": ("行业", "Industry"),
    "scale": ("规模", "Scale"),
    "region": ("地区", "Region"),
    "address": ("地址", "Address"),
    "source": ("来源", "Source"),
    "owner": ("负责人", "Owner"),
    "contacts[0].name": ("联系人", "Contact"),
    "contacts[0].title": ("联系人职务", "Contact title"),
    "contacts[0].phone": ("联系电话", "Contact phone"),
    "contacts[0].email": ("联系邮箱", "Contact email"),
    "contacts[0].wechat": ("联系人微信", "Contact WeChat"),
    "contacts[0].preferred_channel": ("联系方式偏好", "Preferred channel"),
    "contacts[0].primary": ("主要联系人", "Primary contact"),
    "needs": ("需求", "Needs"),
    "product_preferences": ("产品偏好", "Product preferences"),
    "special_requirements": ("特殊要求", "Special requirements"),
    "consent.purpose": ("个人信息使用目的", "Consent purpose"),
    "consent.date": ("同意日期", "Consent date"),
    "consent.recorded_by": ("同意记录人", "Consent recorded by"),
    "consent.retain_until": ("个人信息保存期限", "Consent retain until"),
    "consent.withdrawn_on": ("撤回同意日期", "Consent withdrawn on"),
    "customer": ("客户编号", "Customer"),
    "date": ("日期", "Date"),
    "channel": ("沟通方式", "Channel"),
    "by": ("记录人", "By"),
    "subject": ("主题", "Subject"),
    "summary": ("内容摘要", "Summary"),
    "outcome": ("结果", "Outcome"),
    "next_step": ("下一步", "Next step"),
    "next_date": ("下次联系日期", "Next date"),
    "severity": ("严重程度", "Severity"),
    "description": ("问题描述", "Description"),
    "received_by": ("接收人", "Received by"),
    "name_en": ("英文名称", "English name"),
    "cas": ("CAS 号", "CAS number"),
    "tags": ("标签", "Tags"),
    "notes": ("备注", "Notes"),
}
# schema value → Chinese word, offered in the mapping's `values`
VALUE_WORDS: dict[str, dict[str, str]] = {
    "type": {"potential": "潜在客户", "existing": "现有客户", "key": "重点客户"},
    "class": {"A": "A类", "B": "B类", "C": "C类"},
    "scale": {"micro": "微型", "small": "小型", "medium": "中型", "large": "大型"},
}
SKIPPED = WORKFLOW_FIELDS | {"version", "id", ENVELOPE}


@dataclass(frozen=True)
class TemplateColumn:
    header: str
    path: str
    required: bool
    values: dict[str, str]


def template_columns(schema: KindSchema, lang: str) -> list[TemplateColumn]:
    """The kind's fillable fields in schema order: scalars, lists of words (one cell, split
    on ；), an object's fields, and the first item of a list of objects (one contact)."""
    if lang not in ("zh", "en"):
        raise FormulaError(f"--lang {lang} is not zh or en", "use --lang zh or --lang en")
    required = set(schema.schema.get("required", []))
    found: list[TemplateColumn] = []
    for name, _spec in schema.schema.get("properties", {}).items():
        if name in SKIPPED:
            continue
        shape = schema.subschema((name,)) or {}
        if shape.get("type") == "object":
            inner = [f"{name}.{sub}" for sub in shape.get("properties", {})]
        elif shape.get("type") == "array":
            items = schema.subschema((name, "*")) or {}
            if items.get("type") != "object":
                inner = [name]
            else:
                inner = [f"{name}[0].{sub}" for sub in items.get("properties", {})]
                if f"{name}[0].name" not in TITLES:
                    continue  # lists of lines (ingredients, lots) do not fit one row
        else:
            inner = [name]
        for path in inner:
            words = TITLES.get(f"{schema.kind}:{path}") or TITLES.get(path)
            title = (words[0] if lang == "zh" else words[1]) if words else path
            mark = name in required and (path == name or path.endswith(".name"))
            values = VALUE_WORDS.get(path, {}) if lang == "zh" else {}
            found.append(TemplateColumn(title, path, mark, values))
    return found


def write_template(schema: KindSchema, lang: str, folder: Path) -> tuple[Path, Path]:
    """`<kind>.xlsx` and `<kind>.map.yaml` in `folder`; an existing file is not replaced."""
    import openpyxl
    from openpyxl.styles import Font
    from openpyxl.worksheet.datavalidation import DataValidation

    kind = schema.kind
    if kind not in KINDS:
        raise FormulaError(f"`{kind}` is not a kind of record", rule="usage")
    columns = template_columns(schema, lang)
    sheet_path = folder / f"{kind}.xlsx"
    map_path = folder / f"{kind}.map.yaml"
    for target in (sheet_path, map_path):
        if target.exists() or target.is_symlink():
            raise FormulaError(
                f"{target} exists", "move it away or choose another --output", rule="exists"
            )
    if not folder.is_dir():
        raise FormulaError(f"{folder} is not a folder", "create it first", rule="usage")
    book = openpyxl.Workbook()
    sheet: Any = book.active
    sheet.title = "Sheet1"
    for position, column in enumerate(columns, start=1):
        cell = sheet.cell(row=1, column=position, value=_header(column))
        cell.font = Font(bold=True, color="C00000" if column.required else None)
        shape = schema.subschema(tuple("*" if part == "[0]" else part for part in _parts(column)))
        choices = list(column.values.values()) or [str(v) for v in (shape or {}).get("enum", [])]
        if choices:
            letter = cell.column_letter
            rule = DataValidation(type="list", formula1='"' + ",".join(choices) + '"')
            rule.add(f"{letter}2:{letter}1000")
            sheet.add_data_validation(rule)
    sheet.freeze_panes = "A2"
    book.save(sheet_path)
    map_path.write_text(_mapping_text(kind, columns), encoding="utf-8")
    return sheet_path, map_path


def _header(column: TemplateColumn) -> str:
    return f"{column.header} *" if column.required else column.header


def _parts(column: TemplateColumn) -> list[str]:
    return column.path.replace("[0]", ".[0]").split(".")


def _mapping_text(kind: str, columns: list[TemplateColumn]) -> str:
    entries: dict[str, Any] = {}
    for column in columns:
        spec: dict[str, Any] = {"field": column.path}
        if column.values:
            spec["values"] = {word: value for value, word in column.values.items()}
        if column.path.endswith("date") or column.path.endswith("_on"):
            spec["dates"] = ["%Y-%m-%d", "%Y/%m/%d", "%Y年%m月%d日", "excel"]
        if not column.required:
            spec["optional"] = True
        entries[column.header] = spec
    key = next((c.header for c in columns if c.path == "tax_id"), None)
    data: dict[str, Any] = {"kind": kind, "sheet": "Sheet1", "header_row": 1}
    if key:
        data["key"] = key
    data["columns"] = entries
    head = f"# Reads {kind}.xlsx: `formulactl import {kind} {kind}.xlsx --map {kind}.map.yaml`\n"
    return head + yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=100)
