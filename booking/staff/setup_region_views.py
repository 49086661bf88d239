"""Administrators set up regions (a province above its cities) on pages: the tree of every
region with its offices and bureau accounts, a new region, a region's names and parent.

The same path as setup_views.py: form -> setup data (setup_forms.region_entry) -> the file's
checks -> preview (a dry run of setup.apply) -> the confirming POST to /staff/admin/setup. A
refusal (a code taken, an unknown parent, a region inside itself, names too long) is shown
beside its field in the reader's language, and nothing changes. Which region an office lies in
is set on the office's page.
"""

from __future__ import annotations

from flask import render_template, request, url_for
from flask_babel import gettext as _

from ..access import region_page, staff_key
from ..bureau.regions import region_by_code, region_tree, walk
from ..extensions import limiter
from ..models import Region
from ..offices import setup_file
from ..offices.setup_file import REGION_KEYS, SetupError
from . import bp, setup_forms
from .admin_views import admin_page
from .setup_views import PREVIEW_LIMIT, form_context, preview


@bp.get("/admin/regions")
@admin_page
def setup_regions():
    """Every region as a tree, each with its offices and bureau accounts; a new region."""
    return render_template("staff/setup_regions.html", tree=region_tree())


def _region_page(entry: dict | None, region: Region | None, error: SetupError | None):
    values = setup_forms.form_values(entry, REGION_KEYS) if error is None else request.form
    node = next((n for n in walk(region_tree()) if n.region is region), None) if region else None
    return render_template("staff/setup_region.html", values=values, edited=region, node=node,
                           parents={"": _("(none: a top region)"), **setup_forms.region_choices(region)},
                           **form_context(error, set(REGION_KEYS))), 422 if error else 200


@bp.route("/admin/regions/new", methods=["GET", "POST"])
@limiter.limit(PREVIEW_LIMIT, key_func=staff_key, methods=["POST"])
@admin_page
def setup_region_new():
    """A new region: its form (?parent=CODE preselects the region above), then the preview."""
    if request.method == "GET":
        return _region_page({"parent": request.args.get("parent", "")}, None, None)
    try:
        setup = setup_forms.checked([], regions=[setup_forms.region_entry(request.form, None)])
        code = setup.regions[0]["code"]
        if region_by_code(code) is not None:
            raise setup_file.fail("regions[0].code", "shared_code")
        # Cancelling goes back to the tree: the region's own page exists only once it is created.
        return preview(setup, url_for("staff.setup_region", region_code=code), _("Check before creating the region"),
                       cancel=url_for("staff.setup_regions"))
    except SetupError as error:
        return _region_page(None, None, error)


@bp.route("/regions/<region_code>/admin", methods=["GET", "POST"])
@limiter.limit(PREVIEW_LIMIT, key_func=staff_key, methods=["POST"])
@region_page("admin")
def setup_region(region: Region):
    """A region's names and the region above it, with its offices, the regions below it and
    its bureau accounts; a change goes to the preview."""
    current = setup_forms.one_region(region.code)
    if request.method == "GET":
        return _region_page(current, region, None)
    try:
        setup = setup_forms.checked([], regions=[setup_forms.region_entry(request.form, current)])
        return preview(setup, request.path, _("Check before changing the region"))
    except SetupError as error:
        return _region_page(current, region, error)
