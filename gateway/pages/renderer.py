"""The pages' Jinja2 environment (autoescaped), as a nameko dependency, and the static files beside it.

Templates live in gateway/templates, CSS and scripts in gateway/static; both are served by the
gateway itself (no external CDN). Static URLs carry a content hash so browsers may cache them.
"""
import hashlib
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape
from nameko.extensions import DependencyProvider
from werkzeug.security import safe_join

from shared.contracts import certificate, dossier as st, payment, review
from shared import roles
from shared.roles import ROLE_LABELS
from shared.titles import (
    ASSESSMENT_RESULTS, CONTINUING_EDUCATION_KINDS, EDUCATION_LEVELS, LEVELS, MATERIAL_CATEGORIES, SERIES,
)

from . import forms
from .guide_views import service_desk
from .views import EVENT_LABELS, shanghai_time

# The templates and static files stay beside the gateway package (pyproject.toml ships them from there).
HERE = Path(__file__).resolve().parents[1]
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"
# Only these kinds of file are served from /static; anything else is 404.
STATIC_TYPES = {
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
    ".woff2": "font/woff2",
}

LABELS = {
    "series": SERIES, "level": LEVELS, "status": st.STATUS_LABELS, "role": ROLE_LABELS, "section": st.SECTIONS,
    "education": EDUCATION_LEVELS, "assessment": ASSESSMENT_RESULTS, "category": MATERIAL_CATEGORIES,
    "ce_kind": CONTINUING_EDUCATION_KINDS, "event": EVENT_LABELS, "review_level": st.LEVEL_LABELS,
}


def label(value, kind):
    """The Chinese name of a code: ``{{ dossier.level|label('level') }}``."""
    return LABELS[kind].get(value, value if value is not None else "")


def file_size(size):
    size = float(size or 0)
    for unit in ("B", "KB", "MB"):
        if size < 1024 or unit == "MB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024


def static_file(path):
    """``(bytes, content type)`` of a file under gateway/static, or None: no traversal, no other kinds."""
    joined = safe_join(str(STATIC), path or "")
    if joined is None:
        return None
    target = Path(joined).resolve()
    if not target.is_relative_to(STATIC) or not target.is_file() or target.suffix not in STATIC_TYPES:
        return None
    return target.read_bytes(), STATIC_TYPES[target.suffix]


class PageRenderer:
    def __init__(self, templates=TEMPLATES, static=STATIC, desk=None):
        self.static = static
        self._versions = {}
        self.env = Environment(loader=FileSystemLoader(str(templates)),
                               autoescape=select_autoescape(default=True, default_for_string=True),
                               trim_blocks=True, lstrip_blocks=True)
        self.env.filters.update(label=label, shanghai=shanghai_time, file_size=file_size,
                                input_value=forms.input_value, checked=forms.is_checked)
        # Templates name roles as ``ROLES.CITY_ADMIN`` (shared/roles.py) and statuses as
        # ``DOSSIER.ACCEPTED`` / ``CERTIFICATE.REVOKED`` / ``PAYMENT.PENDING`` (shared/contracts), never as
        # typed codes.
        self.env.globals.update(static_url=self.static_url, ROLES=roles, DOSSIER=st, CERTIFICATE=certificate,
                                PAYMENT=payment, OPINION_EVENTS=st.OPINION_EVENTS, REVIEW=review, SERIES=SERIES, LEVELS=LEVELS,
                                SECTIONS=st.SECTIONS, MATERIAL_CATEGORIES=MATERIAL_CATEGORIES,
                                SECTION_FORMS=forms.SECTION_FORMS, ACHIEVEMENT_FORM=forms.ACHIEVEMENT_FORM,
                                COMMITMENT_TEXT=forms.COMMITMENT_TEXT, identity_fields=forms.identity_fields,
                                IDENTITY_NOTE=forms.IDENTITY_NOTE,
                                COMMITMENT_VERSION=forms.COMMITMENT_VERSION)
        # Every footer names the 咨询电话 (gateway/config.yaml GUIDE; the 办事指南 page shows the rest).
        self.env.globals["service_desk"] = desk or {}

    def render(self, name, **context):
        return self.env.get_template(name).render(**context)

    def static_url(self, name):
        """``/static/<name>?v=<content hash>``, so a changed file is fetched again."""
        if name not in self._versions:
            found = static_file(name)
            self._versions[name] = hashlib.sha256(found[0]).hexdigest()[:10] if found else "0"
        return f"/static/{name}?v={self._versions[name]}"


class Pages(DependencyProvider):
    def setup(self):
        self.renderer = PageRenderer(desk=service_desk(self.container.config))

    def get_dependency(self, worker_ctx):
        return self.renderer

