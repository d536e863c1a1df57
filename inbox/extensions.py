"""Where the apps above the inbox add parts to its conversation page, without the inbox knowing them.

An app registers a template in its AppConfig.ready(); the conversation page includes each one
with the page's context (thread, others, membership). A part must cost the page no query: one
that needs data fetches it itself (script) or links to a page of its own.
"""

_thread_page_templates = []
_inbox_list_templates = []


def register_thread_page_template(template_name):
    if template_name not in _thread_page_templates:
        _thread_page_templates.append(template_name)


def thread_page_templates():
    return tuple(_thread_page_templates)


def register_inbox_list_template(template_name):
    """A template shown under the inbox list's tabs on every inbox page (same rules: no query)."""
    if template_name not in _inbox_list_templates:
        _inbox_list_templates.append(template_name)


def inbox_list_templates():
    return tuple(_inbox_list_templates)
