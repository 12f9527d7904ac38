"""Fees and certificates as both the API and the pages take them: one way in for the payment
provider's notifications, and the public certificate check counted against the caller's limit."""


def accept_notification(payment, provider, headers, body):
    """Hand a provider's notification (its X- headers and exact body) to payment: the notify route and
    the simulator's cashier page both come in here."""
    answer = payment.handle_notification(provider, headers, body)
    return {"code": "SUCCESS", "outcome": answer["outcome"], "order_id": answer.get("order_id")}


def verify_certificate(verify_limit, certificate, caller_address, number, code):
    """The public check of a certificate by number and code: one call counted against the caller's limit
    (429 beyond it)."""
    verify_limit.check(caller_address)
    return certificate.verify(number, code)
