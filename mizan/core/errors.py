class DomainError(Exception):
    """A rule of the domain refused an action.

    The message is written for the person who acted (translated lazily), so views and
    the API can show it as it is. `code` is stable, for machines and tests.
    """

    def __init__(self, message, *, code: str = "domain_error", field: str | None = None):
        super().__init__(message)
        self.message = message
        self.code = code
        self.field = field

    def __str__(self) -> str:
        return str(self.message)
