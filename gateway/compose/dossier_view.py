"""The composed view of one dossier: beside the dossier (the record), its fee orders and its
certificate, asked concurrently. A service that does not answer leaves its part marked unavailable;
the dossier still shows."""
import logging

from shared.contracts.payment import MONEY_RECEIVED
from shared.errors import NotFound

log = logging.getLogger(__name__)

UNAVAILABLE = {"unavailable": True, "message": "暂时无法获取,请稍后刷新"}


def optional_call(method, *args):
    """Start an RPC now; calling the result waits for the answer: None for NotFound, and
    ``{"unavailable": True}`` (logged) when the service is down or failed."""
    try:
        reply = method.call_async(*args)
    except Exception as error:  # no instance is consuming the service's queue
        log.warning("composed view: %s unavailable: %r", method, error)
        return lambda: UNAVAILABLE

    def result():
        try:
            return reply.result()
        except NotFound:
            return None
        except Exception as error:
            log.warning("composed view: %s failed: %r", method, error)
            return UNAVAILABLE

    return result


def payment_view(orders):
    """The composed view's payment part from the dossier's orders (newest first)."""
    if not orders or orders is UNAVAILABLE:
        return orders or None
    return {"orders": orders, "paid": any(order["status"] in MONEY_RECEIVED for order in orders)}


def money_and_certificate(payment, certificate, dossier):
    """``{payment, certificate}`` of a dossier the caller may see, asked of the two RPC proxies at once.
    Either part is None when there is nothing yet, or ``{"unavailable": true}`` when its service did not
    answer."""
    orders = optional_call(payment.orders_of_dossier, dossier["id"])
    issued = optional_call(certificate.get_by_dossier, dossier["id"])
    return {"payment": payment_view(orders()), "certificate": issued()}
