"""`digitalpost keys rotate` and `digitalpost check`: master keys change without re-encrypting a document."""

import base64
import os

import pytest
from typer.testing import CliRunner

from digitalpost.blobstore.sealing import MasterKeys, read_header
from digitalpost.cli.main import app
from digitalpost.hub.blobs import blob_store

OLD = f"old:{MasterKeys.generate_material()}"
NEW = f"new:{MasterKeys.generate_material()}"


def use_keys(settings, text: str):
    settings.DIGITALPOST_BLOB_KEYS = text
    blob_store.cache_clear()
    return blob_store()


def segments_of(store, key: str) -> bytes:
    """The stored ciphertext after the header: what rotation must leave exactly as it was."""
    with store.objects.open(key) as raw:
        read_header(raw)
        return raw.read()


# Local files go with the embedded SQLite, S3 with the scale PostgreSQL: each pair once.
@pytest.fixture(params=[pytest.param("local", marks=pytest.mark.deployment("embedded")),
                        pytest.param("s3", marks=pytest.mark.deployment("scale"))])
def backend(request, settings):
    if request.param == "s3":
        request.getfixturevalue("s3_hub")
    return request.param


def test_rotation_rewraps_every_data_key_and_old_blobs_still_open(db, settings, backend):
    plain_store = use_keys(settings, "")
    unsealed = plain_store.put(b"stored before encryption was turned on").key
    old_store = use_keys(settings, OLD)
    documents = {old_store.put(os.urandom(100_000 + n)).key: n for n in range(3)}
    before = {key: segments_of(old_store, key) for key in documents}

    store = use_keys(settings, f"{NEW},{OLD}")
    result = CliRunner().invoke(app, ["keys", "rotate"])
    assert result.exit_code == 0, result.output
    assert "3 re-wrapped, 1 sealed, 0 already under the current key" in result.output

    for key in documents:
        with store.objects.open(key) as raw:
            assert read_header(raw).key_id == "new"
        assert segments_of(store, key) == before[key]  # nothing re-encrypted
    # The old key can go now: everything opens with the new one alone.
    only_new = use_keys(settings, NEW)
    assert only_new.read(unsealed) == b"stored before encryption was turned on"
    for key in documents:
        assert len(only_new.read(key)) == 100_000 + documents[key]

    again = CliRunner().invoke(app, ["keys", "rotate"])
    assert "0 re-wrapped, 0 sealed, 4 already under the current key" in again.output


def test_rotation_without_the_old_key_stops_with_a_clear_message(db, settings):
    use_keys(settings, OLD).put(b"letter")
    use_keys(settings, NEW)
    result = CliRunner().invoke(app, ["keys", "rotate"])
    assert result.exit_code == 2
    assert "'old'" in result.output
    assert "does not hold" in result.output


def test_check_refuses_a_wrong_key_and_passes_the_right_one(db, settings):
    use_keys(settings, OLD).put(b"letter")
    key_id, _, _ = OLD.partition(":")
    use_keys(settings, f"{key_id}:{base64.b64encode(os.urandom(32)).decode()}")
    wrong = CliRunner().invoke(app, ["check"])
    assert wrong.exit_code == 2
    assert "key material is wrong" in wrong.output
    use_keys(settings, OLD)
    assert CliRunner().invoke(app, ["check"]).exit_code == 0


def test_unusable_key_settings_stop_the_check(db, settings):
    settings.DIGITALPOST_BLOB_KEYS = "k1:tooshort"
    blob_store.cache_clear()
    result = CliRunner().invoke(app, ["check"])
    assert result.exit_code == 2
    assert "DIGITALPOST_BLOB_KEYS" in result.output


def test_check_names_unreadable_hub_keys_and_stops(db, settings, tmp_path):
    assert CliRunner().invoke(app, ["check"]).exit_code == 0
    settings.DIGITALPOST_TRUST_ANCHORS = tmp_path / "ca.pem"
    settings.DIGITALPOST_HUB_KEY = tmp_path / "hub-key.pem"
    result = CliRunner().invoke(app, ["check"])
    assert result.exit_code == 2
    said = result.output.replace("\n", "")  # the console wraps long lines
    assert "ca.pem" in said
    assert "hub-key.pem" in said
    assert "DIGITALPOST_TRUST_ANCHORS" in said
