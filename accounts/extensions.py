"""Where the apps above accounts add parts to its pages, without accounts knowing them.

Each app registers in its AppConfig.ready():
- a profile part: function(*, person, viewer) -> {"template": name, ...context} or None, shown on a profile;
- a settings link: (label, url name, section), listed in the settings navigation after accounts' own.
"""

_profile_parts = []
_settings_links = []


def register_profile_part(function):
    if function not in _profile_parts:
        _profile_parts.append(function)


def profile_parts(*, person, viewer):
    parts = (function(person=person, viewer=viewer) for function in _profile_parts)
    return [part for part in parts if part]


def register_settings_link(label, url_name, section):
    link = {"label": label, "url_name": url_name, "section": section}
    if link not in _settings_links:
        _settings_links.append(link)


def settings_links():
    return tuple(_settings_links)
