"""The one refusal every app raises and every view and socket handler catches."""


class Refused(Exception):
    """A business refusal: `code` for programs, `detail` for people.

    retry_after (seconds) comes with "rate_limited"; user_id names the person a group-wide
    "cannot_message" is about. http_status is what a view answers; a subclass may carry its own
    (media's refusals answer 413 for sizes).
    """

    HTTP_STATUS = {"not_found": 404, "not_allowed": 403, "cannot_message": 403, "cannot_follow": 403, "rate_limited": 429}

    def __init__(self, code, detail, *, retry_after=None, user_id=None):
        super().__init__(detail)
        self.code = code
        self.detail = detail
        self.retry_after = retry_after
        self.user_id = user_id

    @property
    def http_status(self):
        return self.HTTP_STATUS.get(self.code, 400)
