"""The register file may carry each contact's notification address and mobile number (optional columns)."""

from __future__ import annotations

import pytest

from digitalpost.registry.importing import ImportRefused, normalise_mobile_number, read_rows

HEADER = "id_type,number,name,notification_email,mobile_number\n"


def test_optional_columns_are_read_and_the_mobile_number_normalised():
    [row] = read_rows(HEADER + "CPR,0505851234,Anna Andersen,anna@example.org,20 12 34 56\n")
    assert (row.notification_email, row.mobile_number) == ("anna@example.org", "+4520123456")


def test_a_file_without_the_columns_leaves_them_alone():
    [row] = read_rows("id_type,number,name\nCPR,0505851234,Anna Andersen\n")
    assert (row.notification_email, row.mobile_number) == (None, None)


def test_bad_address_and_number_are_reported_with_their_line():
    with pytest.raises(ImportRefused) as refused:
        read_rows(HEADER + "CPR,0505851234,Anna,not-an-address,\nCVR,33770006,Dorte ApS,,12ab\n")
    assert [p.split(":")[0] for p in refused.value.problems] == ["line 2", "line 3"]


@pytest.mark.parametrize(("given", "stored"), [("20123456", "+4520123456"), ("+45 20 12 34 56", "+4520123456"),
                                               ("0046701234567", "+46701234567")])
def test_mobile_numbers_become_e164(given, stored):
    assert normalise_mobile_number(given) == stored


def test_import_saves_the_optional_columns_and_a_file_without_them_keeps_them(db):
    from digitalpost.registry.models import Contact
    from digitalpost.registry.services import import_contacts

    import_contacts(read_rows(HEADER + "CPR,0505851234,Anna Andersen,anna@example.org,20123456\n"))
    anna = Contact.objects.get(number="0505851234")
    assert (anna.notification_email, anna.mobile_number) == ("anna@example.org", "+4520123456")
    report = import_contacts(read_rows("id_type,number,name\nCPR,0505851234,Anna Andersen\n"))
    assert report.unchanged == 1
    anna.refresh_from_db()
    assert (anna.notification_email, anna.mobile_number) == ("anna@example.org", "+4520123456")
