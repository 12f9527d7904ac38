"""Reading a review year's notice (with its policy in force) from the dossier service, the one place every
service takes the year's policy from (shared/contracts/year_policy.py)."""
from nameko.exceptions import RemoteError

from shared.contracts.dossier_errors import NoticeNotFound
from shared.errors import NotFound


def notice_or_none(call, review_year):
    """``dossier.get_notice(review_year)`` made through *call* (``call(method, *args)``); None without a notice."""
    try:
        return call("get_notice", review_year)
    except NotFound:
        return None
    except RemoteError as error:  # the dossier error types were not registered in this process
        if error.exc_type == NoticeNotFound.__name__:
            return None
        raise
