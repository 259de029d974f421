"""The access matrix: every route declares who may reach it, and no role reaches more than it may.

Built from the live URL configuration (tests/helpers/routes.py), so a route added without a rule, or a
new kind of object id in a URL, makes this test fail until the matrix knows about it. For every route that
needs an organisation action, every person of the cast is tried with every method: anonymous callers are
sent to sign in (401 on the API), members of another organisation get 404, roles without the action 403,
roles with it are let in (GET). Then Sydby's superadministrator asks for each of Nordby's objects under
Sydby's own CVR: always refused, and nothing lands in the audit log.
"""

from __future__ import annotations

import io
import zipfile
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from cast import STAFF_PASSWORD
from digitalpost.accounts.services import create_user, grant_role
from digitalpost.attorney.models import PowerOfAttorney
from digitalpost.attorney.services import grant_power
from digitalpost.audit.models import AuditEntry
from digitalpost.authorities.services.materials import create_material, create_subscription_group
from digitalpost.conversations.services.inquiries import Inquiry, send_inquiry
from digitalpost.core.errors import DigitalPostError, ErrorCode
from digitalpost.core.roles import (
    CITIZEN,
    PUBLIC,
    RECEIVER_SYSTEM,
    SENDER_SYSTEM,
    SIGNED_IN,
    Action,
    Actor,
    Role,
    may,
)
from digitalpost.filing.models import Folder, Placement
from digitalpost.filing.selectors import INBOX, SearchQuery, list_box, search
from digitalpost.filing.services.folders import create_folder, mark_messages, move_messages
from digitalpost.inbox.signin import ACTING_KEY, SignedInPerson, mailbox_access_for
from digitalpost.inbox.views import OWN_MAILBOX_PAGES, POSTS_THAT_WRITE_NOTHING
from digitalpost.messages.models import Message
from digitalpost.messages.selectors import MailboxViewer
from digitalpost.notifications.invitations import invite
from digitalpost.registry.services import grant_company_access, grant_exemption
from digitalpost.systems.services.push_endpoints import register_push_endpoint
from digitalpost.systems.services.receivers import create_pull_receiver, create_secure_address
from helpers.otp import verified_client
from helpers.pages import booking_action, deliver_letter, deliver_memo, mailbox_session, signed_in, with_actions
from helpers.routes import Route, all_routes
from helpers.systems_pki import trusted

# Public routes are a conscious list: adding one means adding it here.
PUBLIC_ROUTES = {"set_language", "openapi-json", "openapi-view", "api-root", "health", "login", "logout", "home",
                 "password_reset", "password_reset_sent", "password_reset_done", "password_reset_confirm",
                 "healthz", "readyz", "metrics",
                 "oidc_start", "oidc_callback", "signed_out", "session_expired", "sso_start", "sso_callback",
                 "accessibility", "invitation", "invitation_account"}
# URL values that are not objects of an organisation (the same for both).
NEUTRAL = {"role": "caseworker", "fmt": "csv", "position": "1"}


def test_every_route_declares_an_access_rule():
    routes = all_routes()
    undeclared = [f"{r.path} ({r.name})" for r in routes if r.rule is None]
    assert undeclared == []
    public = {r.name for r in routes if r.rule == PUBLIC}
    assert public <= PUBLIC_ROUTES
    known = {PUBLIC, CITIZEN, SENDER_SYSTEM, RECEIVER_SYSTEM, SIGNED_IN, *Action}
    assert {r.rule for r in routes} <= known


def _objects(cast, staff, authority, mailbox, pki, email: str, cert: bytes) -> dict[str, str]:
    receiver = create_secure_address(authority=authority, email=email, certificate_pem=cert,
                                     trust_anchors=[pki.base.ca.certificate])
    pull, _ = create_pull_receiver(authority=authority, name="Fagsystem")
    material = create_material(authority=authority, name="Afgørelse", reply_rule="MAILBOX", reply_mailbox=mailbox)
    group = create_subscription_group(authority=authority, name="Byggeri", materials=[material])
    topic = mailbox.topics.values_list("name", flat=True).first() or ""
    inquiry = send_inquiry(party=cast.anna, mailbox=mailbox, inquiry=Inquiry(subject="Spørgsmål", text="Hej",
                                                                            topic=topic))
    system = cast.nordby.system if authority == cast.nordby.authority else cast.sydby.system
    endpoint = register_push_endpoint(system=system, url=f"https://esdh.{authority.cvr}.example/receipts").endpoint
    membership = authority.memberships.filter(role__in=[Role.CASEWORKER, Role.SUPERADMIN]).first()
    invitation = invite(authority=authority, email=f"invited@{authority.cvr}.example", role=Role.ADMIN)
    return {
        "cvr": authority.cvr, "mailbox_id": str(mailbox.pk), "address_id": str(receiver.secure_address_id),
        "certificate_id": str(receiver.secure_address.certificate_id), "system_id": str(system.pk),
        "receiver_id": str(pull.pk), "material_id": str(material.pk), "group_id": str(group.pk),
        "thread_id": str(inquiry.thread_id), "message_id": str(inquiry.pk), "membership_id": str(membership.pk),
        "username": membership.user.get_username(), "endpoint_id": str(endpoint.pk),
        "invitation_id": str(invitation.pk), **NEUTRAL,
    }


@pytest.fixture
def world(cast, staff, settings):
    pki = trusted(settings)
    for username, role in (("ada", Role.ADMIN), ("cita", Role.CITIZEN_SERVICE)):
        user = create_user(username=username, full_name=username.title(), password=STAFF_PASSWORD)
        grant_role(authority=cast.nordby.authority, user=user, role=role)
    sydby_admin = create_user(username="sydcase", full_name="Syd Case", password=STAFF_PASSWORD)
    grant_role(authority=cast.sydby.authority, user=sydby_admin, role=Role.CASEWORKER,
               mailboxes=[staff.sydby_borgerservice])
    nordby = _objects(cast, staff, cast.nordby.authority, staff.nordby_borgerservice, pki,
                      "borgerservice@nordby.localhost", pki.address.certificate.pem)
    _objects(cast, staff, cast.sydby.authority, staff.sydby_borgerservice, pki, "post@sydby.localhost",
             pki.sender_sydby.certificate.pem)
    # The contact register is national, not an organisation's: its ids are reached by role (citizen service).
    exemption = grant_exemption(contact=cast.anna, reason="NO_ACCESS", starts_on=timezone.localdate(), ends_on=None,
                                organisation=cast.nordby.authority.cvr)
    administrator = grant_company_access(company=cast.dorte, employee_id="urn:uuid:matrix-admin", level="READ_WRITE",
                                         is_administrator=True, actor=Actor("test"))
    power = grant_power(grantor=cast.anna, holder=cast.bodil, level="READ", starts_on=timezone.localdate(),
                        ends_on=None, actor=Actor("test"))
    return nordby | {"contact_id": str(cast.anna.pk), "exemption_id": str(exemption.pk),
                     "company_id": str(cast.dorte.pk), "access_id": str(administrator.pk), "power_id": str(power.pk)}


def _roles(username: str) -> set[Role]:
    return {"nora": {Role.SUPERADMIN}, "ada": {Role.ADMIN}, "niels": {Role.CASEWORKER},
            "cita": {Role.CITIZEN_SERVICE}, "otto": {Role.OPERATOR}}.get(username, set())


def _client(username: str | None) -> Client:
    if username is None:
        return Client()
    return verified_client(User.objects.get(username=username), language="da")


def _call(client: Client, route: Route, method: str, url: str, token: str | None):
    api = route.path.startswith("apis/")
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if api and token else {}
    if api:
        client = Client()  # the admin API takes tokens only, never the session
    handler = getattr(client, method.lower())
    if method in {"POST", "PUT", "PATCH"}:
        return handler(url, data="{}" if api else {}, content_type="application/json" if api else
                       "application/x-www-form-urlencoded", **headers)
    return handler(url, **headers)


def _organisation_routes() -> list[Route]:
    return [r for r in all_routes() if isinstance(r.rule, Action)]


def _tokens() -> dict[str, str]:
    from django.contrib.auth.models import User

    from digitalpost.accounts.services import issue_admin_token

    return {u.username: issue_admin_token(user=u, name="matrix").secret for u in User.objects.all()}


# Every route for every role through the test client (~1,500 requests): the rules are the views' own, the same on
# both databases, so the matrix runs once, on SQLite (CI time); the scoping tests below run on both.
@pytest.mark.deployment("embedded")
def test_no_role_reaches_more_than_it_may(world):
    tokens = _tokens()
    routes = _organisation_routes()
    assert len(routes) > 100  # the portal and the admin API are both here
    unknown = {p for r in routes for p in r.params} - set(world)
    assert unknown == set(), "a new kind of object id in a URL: teach the matrix to make one"
    clients = {username: _client(username) for username in (None, "nora", "ada", "niels", "cita", "sofie", "otto")}
    audit_before = AuditEntry.objects.count()
    problems = []
    for username, client in clients.items():
        for route in routes:
            url = route.url(world)
            api = route.path.startswith("apis/")
            allowed = may(_roles(username or ""), route.rule)  # type: ignore[arg-type]
            for method in route.methods:
                if allowed and method != "GET":
                    continue  # allowed writes are the areas' own tests; this test must not change the world
                response = _call(client, route, method, url, tokens.get(username or ""))
                status = response.status_code
                if username is None:
                    ok = status == 401 if api else (status == 302 and "/portal/login/" in response["Location"])
                elif "cvr" not in route.params and not allowed:
                    ok = status == 404  # platform pages do not even admit they exist
                elif username == "sofie":
                    # The API validates a body before the organisation is entered: 400 reveals nothing.
                    ok = status == 404 or (api and method in {"POST", "PUT", "PATCH"} and status == 400)
                elif not allowed:
                    ok = status == 403 or (api and method in {"POST", "PUT", "PATCH"} and status == 400)
                else:
                    ok = status not in {401, 403, 404} and status < 500
                if not ok:
                    problems.append(f"{username or 'anonymous'} {method} {url} -> {status}")
    assert problems == []
    assert AuditEntry.objects.count() == audit_before


def test_another_organisations_objects_are_never_reached_under_ones_own_cvr(world, cast):
    """Sofie is superadministrator of Sydby: every Nordby object id under Sydby's CVR is refused."""
    tokens = _tokens()
    client = _client("sofie")
    # A user name is a person, not an organisation's object: a person may work for several organisations.
    ids = {k: v for k, v in world.items() if k not in NEUTRAL and k != "username"} | {
        "cvr": cast.sydby.authority.cvr, "username": "sofie"}
    audit_before = AuditEntry.objects.count()
    problems = []
    checked = 0
    for route in _organisation_routes():
        if not set(route.params) - {"cvr", "username", *NEUTRAL}:
            continue
        url = route.url(ids | NEUTRAL)
        for method in route.methods:
            response = _call(client, route, method, url, tokens["sofie"])
            checked += 1
            api = route.path.startswith("apis/")
            refused = response.status_code in {403, 404, 405}  # 405: a POST-only route asked with GET
            if not (refused or (api and method in {"POST", "PUT", "PATCH"} and response.status_code == 400)):
                problems.append(f"{method} {url} -> {response.status_code}")
    assert checked > 50
    assert problems == []
    assert AuditEntry.objects.count() == audit_before


# The web mailbox: a company's employees reach the company's mailbox only with the right the company gave them.

EMPLOYEE = "urn:uuid:matrix-employee"


def _mailbox_world(cast, staff, drain) -> dict[str, str]:
    # A letter with an appointment, so its calendar file (action 0) is there to reach.
    letter = deliver_memo(cast, drain, with_actions(
        cast.nordby.memo(cast.dorte, label="Til virksomheden", files=[("brev.txt", "text/plain", b"Hej")]),
        booking_action("Møde", timezone.now() + timedelta(days=7))))
    topic = staff.nordby_borgerservice.topics.values_list("name", flat=True).first() or ""
    inquiry = send_inquiry(party=cast.dorte, mailbox=staff.nordby_borgerservice,
                           inquiry=Inquiry(subject="Spørgsmål", text="Hej", topic=topic))
    right = grant_company_access(company=cast.dorte, employee_id=EMPLOYEE, level="READ", actor=Actor("test"))
    folder = create_folder(viewer=MailboxViewer(cast.dorte.pk), name="Regnskab")
    # A power of attorney between two citizens: a company's employees reach none of it.
    power = grant_power(grantor=cast.anna, holder=cast.bodil, level="READ", starts_on=timezone.localdate(),
                        ends_on=None, actor=Actor("test"))
    return {"message_id": str(letter.pk), "position": "1", "index": "0", "thread_id": str(inquiry.thread_id),
            "mailbox_id": str(staff.nordby_borgerservice.pk), "authority_cvr": cast.nordby.authority.cvr,
            "access_id": str(right.pk), "folder_id": str(folder.pk), "power_id": str(power.pk)}


# Powers of attorney are between citizens signed in as themselves: a company's sessions get "not found".
CITIZENS_OWN = {"powers_of_attorney", "power_of_attorney_end", "switch_mailbox"}


def _employee(cast, *, privileges: str = "") -> SignedInPerson:
    return SignedInPerson(cpr=None, cvr=cast.dorte.number, employee_id=EMPLOYEE, name="Erik", assurance="Substantial",
                          privileges=privileges)


def test_company_employees_reach_the_company_mailbox_only_with_the_companys_right(cast, staff, drain, settings):
    routes = [r for r in all_routes() if r.rule == CITIZEN]
    assert len(routes) > 10
    without = SignedInPerson(cpr=None, cvr=cast.dorte.number, employee_id="urn:uuid:nobody", name="Frida",
                             assurance="Substantial", privileges="")
    with pytest.raises(DigitalPostError) as refused:
        mailbox_access_for(without)
    assert refused.value.code == ErrorCode.SIGNIN_COMPANY_ACCESS_MISSING
    world = _mailbox_world(cast, staff, drain)
    unknown = {p for r in routes for p in r.params} - set(world)
    assert unknown == set(), "a new kind of object id in a mailbox URL: teach the matrix to make one"
    reader = signed_in(cast.dorte, access=mailbox_access_for(_employee(cast)))
    admin = signed_in(cast.dorte, access=mailbox_access_for(
        _employee(cast, privileges=settings.DIGITALPOST_OIDC_COMPANY_ADMIN_PRIVILEGE)))
    anonymous = Client()
    audit_before = AuditEntry.objects.count()
    problems = []
    for route in routes:
        url = route.url(world)
        administration = route.name.startswith("company_access")
        for who, client in (("anonymous", anonymous), ("reader", reader), ("admin", admin)):
            if route.name in CITIZENS_OWN and who != "anonymous":
                for method in route.methods:
                    status = getattr(client, method.lower())(url).status_code
                    if status not in {403, 404, 405}:  # 403: a read-only employee's POST is refused first
                        problems.append(f"{who} {method} {url} -> {status}")
                continue
            for method in route.methods:
                if method == "POST" and who == "admin":
                    continue  # allowed writes are the mailbox's own tests; this test must not change the world
                response = getattr(client, method.lower())(url)
                status = response.status_code
                if who == "anonymous":
                    ok = status == 302 and response["Location"].startswith("/login/")
                elif administration and who == "reader":
                    ok = status in {403, 404, 405}  # the rights are the administrator's alone (405: GET of a POST)
                elif method == "POST" and route.name != "keep_alive":
                    ok = status == 403 and b"company.access.not.allowed" in response.content  # read access only
                else:
                    ok = status in {200, 204, 302, 405} and not (status == 302 and "/login/" in response["Location"])
                if not ok:
                    problems.append(f"{who} {method} {url} -> {status}")
    assert problems == []
    assert list(AuditEntry.objects.filter(seq__gt=audit_before).values_list("action", "object_type")) == []


def test_a_company_employee_never_reaches_a_citizens_letters(cast, staff, drain):
    anna_letter = deliver_letter(cast, drain, cast.anna, "Til Anna")
    grant_company_access(company=cast.dorte, employee_id=EMPLOYEE, level="READ_WRITE", actor=Actor("test"))
    employee = signed_in(cast.dorte, access=mailbox_access_for(_employee(cast)))
    assert employee.get(f"/post/{anna_letter.pk}/").status_code == 404
    assert employee.get(f"/post/{anna_letter.pk}/documents/1/").status_code == 404
    assert employee.get(f"/post/{anna_letter.pk}/actions/0/calendar.ics").status_code == 404
    assert str(anna_letter.pk) not in employee.get("/post/needs-action/").content.decode()
    archive = zipfile.ZipFile(io.BytesIO(b"".join(employee.get("/post/my-data/archive.zip").streaming_content)))
    listed = archive.read("index.json").decode() + archive.read("index.html").decode()
    assert "Til Anna" not in listed
    assert str(anna_letter.pk) not in listed


def test_nobody_sees_moves_or_finds_another_persons_post_or_folders(cast, drain):
    """Folders, moves, marks and search: Bent (and Dorte's employees) never reach Anna's post or folders."""
    letter = deliver_letter(cast, drain, cast.anna, "Annas lønseddel", text="Hemmelig løn")
    annas = create_folder(viewer=MailboxViewer(cast.anna.pk), name="Løn")
    move_messages(viewer=MailboxViewer(cast.anna.pk), message_ids=[letter.pk], target=str(annas.pk))
    grant_company_access(company=cast.dorte, employee_id=EMPLOYEE, level="READ_WRITE", actor=Actor("test"))
    for intruder in (signed_in(cast.bent), signed_in(cast.dorte, access=mailbox_access_for(_employee(cast)))):
        assert intruder.get(f"/post/folders/{annas.pk}/").status_code == 404
        assert intruder.post(f"/post/folders/{annas.pk}/rename/", {"name": "Mit"}).status_code == 404
        assert intruder.post(f"/post/folders/{annas.pk}/delete/").status_code == 404
        for action in ("delete", "read", "unread", "restore"):
            intruder.post("/post/bulk/", {"action": action, "message": [str(letter.pk)], "next": "/post/"})
        moved = intruder.post("/post/bulk/", {"action": "move", "target": str(annas.pk),
                                              "message": [str(letter.pk)], "next": "/post/"})
        assert moved.status_code == 404  # someone else's folder is "not found"
        for path in ("/post/", "/post/sent/", "/post/deleted/", "/post/folders/"):
            page = intruder.get(path).content.decode()
            assert "Annas lønseddel" not in page
            assert "Løn<" not in page
        found = intruder.get("/post/search/", {"q": "hemmelig løn"}).content.decode()
        assert "Annas lønseddel" not in found
        assert str(letter.pk) not in found
    assert Folder.objects.get(pk=annas.pk).name == "Løn"
    assert Placement.objects.get(message=letter).folder_id == annas.pk
    letter.refresh_from_db()
    assert letter.read_at is None
    assert not letter.events.filter(kind="MESSAGE_READ").exists()
    # The services themselves ignore ids that are not the viewer's.
    bent = MailboxViewer(cast.bent.pk)
    assert move_messages(viewer=bent, message_ids=[letter.pk], target=INBOX) == 0
    assert mark_messages(viewer=bent, message_ids=[letter.pk], read=True) == 0
    assert list(search(bent, SearchQuery(text="hemmelig"))) == []
    assert list(list_box(bent, INBOX)) == []
    assert [m.pk for m in search(MailboxViewer(cast.anna.pk), SearchQuery(text="hemmelig"))] == [letter.pk]


# The web mailbox: power-of-attorney holders. Bodil holds a read-only power for Anna's mailbox.


def _holder_world(cast, staff, drain) -> dict[str, object]:
    letter = deliver_memo(cast, drain, with_actions(
        cast.nordby.memo(cast.anna, label="Til Anna", files=[("brev.txt", "text/plain", b"Hej Anna")]),
        booking_action("Møde", timezone.now() + timedelta(days=7))))
    topic = staff.nordby_borgerservice.topics.values_list("name", flat=True).first() or ""
    inquiry = send_inquiry(party=cast.anna, mailbox=staff.nordby_borgerservice,
                           inquiry=Inquiry(subject="Annas spørgsmål", text="Hej", topic=topic))
    power = grant_power(grantor=cast.anna, holder=cast.bodil, level="READ", starts_on=timezone.localdate(),
                        ends_on=None, actor=Actor("test"))
    folder = create_folder(viewer=MailboxViewer(cast.anna.pk), name="Arkiv")
    return {"ids": {"message_id": str(letter.pk), "position": "1", "index": "0", "thread_id": str(inquiry.thread_id),
                    "mailbox_id": str(staff.nordby_borgerservice.pk), "authority_cvr": cast.nordby.authority.cvr,
                    "access_id": str(power.pk), "power_id": str(power.pk), "folder_id": str(folder.pk)},
            "power": power, "letter": letter}


def _acting(client, power: PowerOfAttorney):
    """The session as the switch leaves it (set directly: the switch itself writes an audit entry)."""
    session = mailbox_session(client)
    session[ACTING_KEY] = str(power.pk)
    session.save()
    return client


def _mailbox_routes() -> list[Route]:
    return [r for r in all_routes() if r.rule == CITIZEN]


def test_a_read_only_holder_reads_the_grantors_mailbox_and_writes_nothing(cast, staff, drain):
    world = _holder_world(cast, staff, drain)
    routes = _mailbox_routes()
    unknown = {p for r in routes for p in r.params} - set(world["ids"])
    assert unknown == set(), "a new kind of object id in a mailbox URL: teach the matrix to make one"
    holder = signed_in(cast.bodil)
    audit_before = AuditEntry.objects.count()
    messages_before = Message.objects.count()
    problems = []
    for route in routes:
        if route.name in OWN_MAILBOX_PAGES:
            continue  # about the holder themself (their own powers, their own notices): the inbox's own tests
        url = route.url(world["ids"])
        for method in route.methods:
            if method == "POST" and route.name in POSTS_THAT_WRITE_NOTHING:
                continue
            response = getattr(_acting(holder, world["power"]), method.lower())(url)
            status = response.status_code
            if method == "POST":
                ok = status == 403 and b"attorney.read.only" in response.content
            elif route.name.startswith("company_access"):
                ok = status in {404, 405}  # Anna is no company
            else:
                ok = status in {200, 204, 302, 405} and not (status == 302 and "/login/" in response["Location"])
            if not ok:
                problems.append(f"holder {method} {url} -> {status}")
    assert problems == []
    assert Message.objects.count() == messages_before
    assert AuditEntry.objects.count() == audit_before


@pytest.mark.parametrize("how", ["expired", "ended", "not-yet-started"])
def test_a_power_not_in_force_opens_nothing_anywhere(cast, staff, drain, how):
    world = _holder_world(cast, staff, drain)
    power = world["power"]
    today = timezone.localdate()
    if how == "expired":
        PowerOfAttorney.objects.filter(pk=power.pk).update(starts_on=today - timedelta(days=30),
                                                           ends_on=today - timedelta(days=1))
    elif how == "ended":
        PowerOfAttorney.objects.filter(pk=power.pk).update(ended_at=timezone.now(), ended_by="test")
    else:
        PowerOfAttorney.objects.filter(pk=power.pk).update(starts_on=today + timedelta(days=1))
    holder = signed_in(cast.bodil)
    problems = []
    for route in _mailbox_routes():
        if route.name in OWN_MAILBOX_PAGES:
            continue
        url = route.url(world["ids"])
        for method in route.methods:
            response = getattr(_acting(holder, power), method.lower())(url)
            if not (response.status_code == 403 and b"attorney.not.active" in response.content):
                problems.append(f"{how} {method} {url} -> {response.status_code}")
            assert ACTING_KEY not in mailbox_session(holder)
    assert problems == []
    # Back in her own mailbox, Anna's post is nowhere.
    assert holder.get(f"/post/{world['letter'].pk}/").status_code == 404
    assert "Til Anna" not in holder.get("/post/").content.decode()


def test_a_holder_never_sees_a_third_persons_post_and_the_grantor_never_the_holders(cast, staff, drain):
    world = _holder_world(cast, staff, drain)
    bodils = deliver_letter(cast, drain, cast.bodil, "Til Bodil")
    dortes = deliver_letter(cast, drain, cast.dorte, "Til Dorte")
    topic = staff.nordby_borgerservice.topics.values_list("name", flat=True).first() or ""
    bents = send_inquiry(party=cast.bent, mailbox=staff.nordby_borgerservice,
                         inquiry=Inquiry(subject="Bents spørgsmål", text="Hej", topic=topic))
    holder = _acting(signed_in(cast.bodil), world["power"])
    for message in (dortes, bents, bodils):  # Bodil's own post, too, is not in Anna's mailbox
        assert holder.get(f"/post/{message.pk}/").status_code == 404
        assert holder.get(f"/post/{message.pk}/documents/1/").status_code == 404
    assert holder.get(f"/post/threads/{bents.thread_id}/").status_code == 404
    listed = holder.get("/post/").content.decode() + holder.get("/post/threads/").content.decode()
    assert "Til Dorte" not in listed
    assert "Bents spørgsmål" not in listed
    assert "Til Bodil" not in listed
    archive = zipfile.ZipFile(io.BytesIO(b"".join(holder.get("/post/my-data/archive.zip").streaming_content)))
    index = archive.read("index.json").decode()
    assert "Til Anna" in index
    assert "Til Dorte" not in index
    assert "Til Bodil" not in index
    grantor = signed_in(cast.anna)
    assert grantor.get(f"/post/{bodils.pk}/").status_code == 404
    assert grantor.get(f"/post/{bodils.pk}/documents/1/").status_code == 404
    assert "Til Bodil" not in grantor.get("/post/").content.decode()
    # The grantor cannot act in the holder's mailbox by putting the power in her own session either.
    intruder = _acting(signed_in(cast.anna), world["power"])
    response = intruder.get(f"/post/{bodils.pk}/")
    assert response.status_code == 403
    assert b"attorney.not.active" in response.content


def test_a_folder_limited_holder_reaches_only_the_chosen_folders(cast, staff, drain):
    """Bodil's power covers Anna's folder "Bolig" only: a letter there opens; Anna's Inbox, her other folder and
    what she deleted are "not found" on every page, in the lists, the search and the archive, as another person's."""
    anna = MailboxViewer(cast.anna.pk)
    bolig = create_folder(viewer=anna, name="Bolig")
    other = create_folder(viewer=anna, name="Privat")
    inside = deliver_letter(cast, drain, cast.anna, "Husleje", text="Fælles ord")
    outside = {name: deliver_letter(cast, drain, cast.anna, label, text="Fælles ord")
               for name, label in (("inbox", "I indbakken"), ("other", "I privat"), ("deleted", "Slettet brev"))}
    move_messages(viewer=anna, message_ids=[inside.pk], target=str(bolig.pk))
    move_messages(viewer=anna, message_ids=[outside["other"].pk], target=str(other.pk))
    move_messages(viewer=anna, message_ids=[outside["deleted"].pk], target="deleted")
    power = grant_power(grantor=cast.anna, holder=cast.bodil, level="READ_WRITE", starts_on=timezone.localdate(),
                        ends_on=None, folders=[str(bolig.pk)], actor=Actor("test"))
    holder = _acting(signed_in(cast.bodil), power)
    assert holder.get(f"/post/{inside.pk}/").status_code == 200
    assert holder.get(f"/post/{inside.pk}/documents/1/").status_code == 200
    for letter in outside.values():
        for path in ("", "documents/1/", "forward/"):
            assert _acting(holder, power).get(f"/post/{letter.pk}/{path}").status_code == 404, path
        assert holder.post(f"/post/{letter.pk}/forward/", {"channel": "digital",
                                                            "number": cast.bent.number}).status_code == 404
    assert holder.get(f"/post/folders/{other.pk}/").status_code == 404
    for box in ("sent", "deleted"):
        assert holder.get(f"/post/{box}/").status_code == 404
    assert holder.get("/post/")["Location"] == f"/post/folders/{bolig.pk}/"  # she starts in the folder she has
    listed = "".join(holder.get(path).content.decode() for path in (
        f"/post/folders/{bolig.pk}/", "/post/folders/", "/post/needs-action/", "/post/threads/",
        "/post/search/?q=f%C3%A6lles"))
    assert "Husleje" in listed
    for label in ("I indbakken", "I privat", "Slettet brev", "Privat"):
        assert label not in listed
    archive = zipfile.ZipFile(io.BytesIO(b"".join(holder.get("/post/my-data/archive.zip").streaming_content)))
    index = archive.read("index.json").decode()
    assert "Husleje" in index
    assert "I indbakken" not in index
    # Read-and-write, yet nothing leaves the chosen folder or lands beyond it.
    for action, target in (("move", str(other.pk)), ("delete", ""), ("restore", ""), ("move", "inbox")):
        response = holder.post("/post/bulk/", {"action": action, "target": target, "message": [str(inside.pk)],
                                               "next": "/post/"})
        assert response.status_code in {403, 404}, (action, target)
    assert Placement.objects.get(message=inside).folder_id == bolig.pk
    refused = holder.post("/post/folders/", {"name": "Ny"})
    assert refused.status_code == 403
    assert b"attorney.outside.folders" in refused.content
    # Writing files the message in Sent, which this power leaves out: refused with its code.
    written = holder.post(f"/post/write/mailbox/{staff.nordby_borgerservice.pk}/",
                          {"topic": "Pas", "subject": "Spørgsmål", "text": "Hej"})
    assert written.status_code == 403
    assert b"attorney.outside.folders" in written.content
    assert not Message.objects.filter(direction=Message.Direction.TO_AUTHORITY).exists()
    # The grantor moves the letter out of Bolig: the holder's next request finds nothing.
    move_messages(viewer=anna, message_ids=[inside.pk], target=str(other.pk))
    assert holder.get(f"/post/{inside.pk}/").status_code == 404
