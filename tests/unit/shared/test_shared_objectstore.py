"""The object-store adapter reads its TLS flag the same way whether YAML or the environment set it."""
import pytest

from shared.objectstore import PdfStore, _flag


@pytest.mark.parametrize("value, expected", [(True, True), (False, False), ("true", True), ("false", False),
                                             ("FALSE", False), ("1", True), ("0", False), ("", False), (None, False)])
def test_the_secure_flag(value, expected):
    assert _flag(value) is expected


def test_a_store_from_environment_text_false_talks_plain_http():
    store = PdfStore.from_config({"endpoint": "127.0.0.1:9000", "access_key": "a", "secret_key": "b",
                                  "bucket": "x", "secure": "false"})
    assert store.client._base_url.is_https is False
