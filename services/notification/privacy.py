"""Phone numbers are personal data: every log line and every answer but the development outbox shows
them masked (138****1234). ``masked_phones`` also cleans texts that come from outside (an SMS
gateway's error may echo the number), and ``masking_logger`` adds a filter that masks whatever a
log call of this service is handed, as a last line of defence."""
import logging
import re

from shared.contracts.identity import mask_phone  # noqa: F401  (the one masking; this module's users import it here)

# A mainland mobile number inside any text (not part of a longer run of digits).
_PHONE_IN_TEXT = re.compile(r"(?<!\d)(?:\+?86)?(1[3-9]\d)(\d{4})(\d{4})(?!\d)")


def masked_phones(text):
    """*text* with every mobile number in it masked."""
    if not isinstance(text, str):
        return text
    return _PHONE_IN_TEXT.sub(lambda found: f"{found.group(1)}****{found.group(3)}", text)


class PhoneMaskingFilter(logging.Filter):
    """Masks phone numbers in a record's message before any handler writes it."""

    def filter(self, record):
        message = record.getMessage()
        cleaned = masked_phones(message)
        if cleaned != message:
            record.msg, record.args = cleaned, ()
        return True


def masking_logger(name):
    """The module logger *name* with the phone-masking filter attached (once)."""
    logger = logging.getLogger(name)
    if not any(isinstance(existing, PhoneMaskingFilter) for existing in logger.filters):
        logger.addFilter(PhoneMaskingFilter())
    return logger
