"""`digitalpost register import FILE.csv`: all rows or none, bad lines named, re-import changes nothing."""

import datetime

from typer.testing import CliRunner

from digitalpost.cli.main import app
from digitalpost.registry.models import Contact, Mailbox

HEADER = "id_type,number,name,status,address_line,postal_code,city\n"
GOOD = (HEADER
        + "CPR,050585-1234,Anna Andersen,REGISTERED,Skolevej 1,8000,Aarhus C\n"
        + "CPR,1203702345,Bent Bertelsen,EXEMPT,Havnegade 12,5000,Odense C\n"
        + "CVR,33770006,Dorte ApS,,Industrivej 7,7100,Vejle\n")


def run_import(tmp_path, text: str):
    path = tmp_path / "register.csv"
    path.write_text(text)
    return CliRunner().invoke(app, ["register", "import", str(path)])


def test_good_file_creates_every_contact_with_a_mailbox(db, tmp_path):
    result = run_import(tmp_path, GOOD)
    assert result.exit_code == 0, result.output
    assert "3 created" in result.output
    assert sorted(Contact.objects.values_list("number", "status")) == [
        ("0505851234", "REGISTERED"), ("1203702345", "EXEMPT"), ("33770006", "REGISTERED")]
    assert Mailbox.objects.count() == 3


def test_importing_the_same_file_again_changes_nothing(db, tmp_path):
    run_import(tmp_path, GOOD)
    result = run_import(tmp_path, GOOD)
    assert "0 created, 0 updated, 3 unchanged" in result.output
    assert Contact.objects.count() == 3


def test_changed_row_updates_the_contact_and_its_status_time(db, tmp_path):
    run_import(tmp_path, GOOD)
    before = Contact.objects.get(number="0505851234").status_changed_at
    result = run_import(tmp_path, GOOD.replace("Anna Andersen,REGISTERED", "Anna Andersen,CLOSED"))
    assert "1 updated" in result.output
    anna = Contact.objects.get(number="0505851234")
    assert anna.status == "CLOSED"
    assert anna.status_changed_at > before


def test_bad_rows_are_named_by_line_and_nothing_is_imported(db, tmp_path):
    text = (GOOD + "CPR,3102851234,Februar Fejl,,,,\n" + "CVR,12345678,Forkert ApS,,,,\n"
            + "CPR,0101801111,,,,,\n" + "XYZ,1,Nogen,,,,\n" + "CPR,0101801111,Ny Person,MAYBE,,,\n"
            + "CPR,1203702345,Bent igen,,,,\n")
    result = run_import(tmp_path, text)
    assert result.exit_code == 1
    for line in ("line 5", "line 6", "line 7", "line 8", "line 9", "line 10"):
        assert line in result.output
    assert "also on line 3" in result.output
    assert Contact.objects.count() == 0


def test_file_without_the_required_columns_is_refused(db, tmp_path):
    result = run_import(tmp_path, "number,name\n0505851234,Anna\n")
    assert result.exit_code == 1
    assert "missing column(s) id_type" in result.output


def test_closed_on_is_imported_for_the_retention_rules_and_a_bad_day_is_refused(db, tmp_path):
    closed = ("id_type,number,name,status,closed_on\n"
              "CPR,0505851234,Anna Andersen,CLOSED,2026-02-28\n"
              "CVR,33770006,Dorte ApS,REGISTERED,\n")
    assert run_import(tmp_path, closed).exit_code == 0
    assert Contact.objects.get(number="0505851234").closed_on == datetime.date(2026, 2, 28)
    assert Contact.objects.get(number="33770006").closed_on is None
    refused = run_import(tmp_path, closed.replace("2026-02-28", "28-02-2026"))
    assert refused.exit_code == 1
    assert "line 2: closed_on '28-02-2026' is not a date" in refused.output
    # A file without the column leaves the day as it is.
    assert run_import(tmp_path, GOOD.replace("Anna Andersen,REGISTERED", "Anna Andersen,CLOSED")).exit_code == 0
    assert Contact.objects.get(number="0505851234").closed_on == datetime.date(2026, 2, 28)
