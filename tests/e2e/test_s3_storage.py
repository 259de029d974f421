"""The hub on a real S3 server (SeaweedFS), documents sealed: accepted, delivered and served back whole."""

import hashlib

import pytest

from digitalpost.blobstore.sealing import MAGIC, MasterKeys
from digitalpost.hub.blobs import blob_store, check_blob_store
from digitalpost.messages.models import Message
from helpers.pages import deliver_letter, signed_in


@pytest.fixture
def sealed_s3_hub(s3_hub, settings):
    settings.DIGITALPOST_BLOB_KEYS = f"k1:{MasterKeys.generate_material()}"
    blob_store.cache_clear()
    return s3_hub


def test_a_memo_stored_in_s3_is_delivered_and_its_documents_served_back(cast, drain, settings, sealed_s3_hub):
    settings.DEMO_MODE = True
    letter_text = "Afgørelse om boligstøtte. ".encode() * 40_000  # ~1 MB, past the MeMo journal limit
    appendix = b"Bilag: beregning af tilskud\n" * 500
    message = deliver_letter(cast, drain, cast.anna, "Afgørelse",
                             files=[("afgoerelse.txt", "text/plain", letter_text),
                                    ("bilag.txt", "text/plain", appendix)])
    assert message.state == Message.State.DELIVERED

    client = signed_in(cast.anna)
    for number, expected in ((1, letter_text), (2, appendix)):
        response = client.get(f"/post/{message.pk}/documents/{number}/?download=1")
        assert response.status_code == 200
        assert hashlib.sha256(b"".join(response.streaming_content)).digest() == hashlib.sha256(expected).digest()

    # Every document (and the received MeMo) lives in the bucket, sealed: no plaintext at rest.
    store = blob_store()
    bucket = sealed_s3_hub.client()
    keys = list(store.iter_keys())
    assert hashlib.sha256(appendix).hexdigest() in keys
    for key in keys:
        stored = bucket.get_object(Bucket=settings.DIGITALPOST_S3_BUCKET,
                                   Key=settings.DIGITALPOST_S3_PREFIX + key)["Body"].read()
        assert stored.startswith(MAGIC)
        assert b"Bilag: beregning" not in stored
        assert "boligstøtte".encode() not in stored
    assert not settings.DIGITALPOST_BLOB_DIR.exists()
    assert check_blob_store() == []


def test_a_wrong_master_key_is_found_by_the_start_up_check(cast, drain, settings, sealed_s3_hub):
    deliver_letter(cast, drain, cast.anna, "Brev")
    settings.DIGITALPOST_BLOB_KEYS = f"k1:{MasterKeys.generate_material()}"
    blob_store.cache_clear()
    assert any("key material is wrong" in problem for problem in check_blob_store())
    settings.DIGITALPOST_BLOB_KEYS = ""
    blob_store.cache_clear()
    assert check_blob_store() == ["stored blobs are encrypted, but DIGITALPOST_BLOB_KEYS is empty"]
