"""Where the apps above the inbox add parts to its conversation page, without the inbox knowing them.

An app registers a template in its AppConfig.ready(); the conversation page includes each one
with the page's context (thread, others, membership). A part must cost the page no query: one
that needs data fetches it itself (script) or links to a page of its own.
"""

_thread_page_templates = []


def register_thread_page_template(template_name):
    if template_name not in _thread_page_templates:
        _thread_page_templates.append(template_name)


def thread_page_templates():
    return tuple(_thread_page_templates)
