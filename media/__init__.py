"""Files and pictures: what an upload is (from its bytes), storing it, the picture pipeline, serving it.

The ground floor of Parley's apps: media imports none of them. Who may fetch a file once it is
put to use is up to the app that uses it (media.services.register_access_rule).
"""
