"""The confirmation step before an act that cannot simply be undone (提交申报, deleting a material, closing
a vote, publishing a publicity), rendered by the server so it works without scripts and cannot be
skipped by a browser that dismisses dialogs.

The page's form posts as before; without ``confirm=1`` the route answers with a page that says what
will happen and what locks, carrying every posted field again (as hidden inputs, with a fresh CSRF
token) plus ``confirm=1`` to the same address. Only that second post acts.
"""
from .session import CSRF_FIELD

CONFIRM_FIELD = "confirm"


def confirmed(request):
    """Whether the post carries the confirmation (``confirm=1``)."""
    return request.form.get(CONFIRM_FIELD) == "1"


def carried_fields(form):
    """The posted fields to post again, in order, each value of a repeated field (a ticked list): every
    field but the CSRF token (the page adds its own) and the confirmation itself."""
    return [(name, value) for name, values in form.lists() if name not in (CSRF_FIELD, CONFIRM_FIELD)
            for value in values]


def ask_to_confirm(pages, session, request, *, title, lines, button, back, danger=False, facts=()):
    """The confirmation page for *request* (answered with 200: nothing has happened yet).

    *lines*: what the act does and what it locks; *facts*: ``(label, value)`` rows naming what it acts
    on; *button*: the confirming button's text; *back*: where 取消 leads (nothing is sent)."""
    query = request.query_string.decode() if request.query_string else ""
    action = request.path + (f"?{query}" if query else "")
    return pages.render_page(session, "confirm.html", title=title, lines=lines, facts=list(facts), button=button,
                             back=back, action=action, fields=carried_fields(request.form), danger=danger)
