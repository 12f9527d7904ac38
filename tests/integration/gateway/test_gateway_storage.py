"""Evidence files in a real S3-compatible server through the minio client."""
import uuid

import pytest

from gateway.storage import EvidenceStore
from tests.pdfs import make_pdf


@pytest.fixture
def store(s3_settings):
    evidence = EvidenceStore.from_config(s3_settings)
    evidence.ensure_bucket()
    evidence.ensure_bucket()  # idempotent: a second instance starting does not fail
    return evidence


def test_a_pdf_is_stored_read_back_and_removed(store):
    dossier_id = uuid.uuid4()
    material_id, key = store.new_material_key(dossier_id)
    data = make_pdf()
    store.put_pdf(key, data, sha256="x" * 64)
    assert store.read(key) == data
    assert key in store.keys(prefix=f"dossiers/{dossier_id}/")
    store.remove(key)
    assert not store.exists(key)


def test_keys_are_generated_from_ids_never_from_names(store):
    material_id, key = store.new_material_key(uuid.uuid4())
    assert key.endswith(f"/materials/{material_id}.pdf") and ".." not in key
    with pytest.raises(ValueError):
        store.new_material_key("../../etc/passwd")
