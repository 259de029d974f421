"""The official files the MeMo tests rely on are where we expect them (never copied into the repo)."""

from helpers.memo_support import SAMPLES, XSD_FILES


def test_the_official_xsds_and_eight_samples_are_present_in_the_shared_folder():
    assert all(path.is_file() for path in XSD_FILES.values())
    assert len(SAMPLES) == 8
