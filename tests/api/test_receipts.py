"""GET /apis/v1/receipts: each receipt seen once through the cursor; only the system's own."""


def test_receipts_arrive_received_then_completed_and_each_is_seen_once(cast, drain):
    first = cast.nordby.submit(cast.nordby.memo(cast.anna)).json()
    client = cast.nordby.client()

    page = client.get("/apis/v1/receipts").json()
    assert [(r["messageId"], r["receiptStatus"]) for r in page["receipts"]] == [(first["messageId"], "RECEIVED")]

    drain()
    page2 = client.get(f"/apis/v1/receipts?after={page['cursor']}").json()
    assert [(r["messageId"], r["receiptStatus"]) for r in page2["receipts"]] == [(first["messageId"], "COMPLETED")]

    client.get(f"/apis/v1/receipts?after={page2['cursor']}")
    assert client.get("/apis/v1/receipts").json()["receipts"] == []


def test_without_after_the_list_resumes_at_the_last_acknowledged_cursor(cast):
    cast.nordby.submit(cast.nordby.memo(cast.anna))
    client = cast.nordby.client()
    page = client.get("/apis/v1/receipts").json()
    assert len(page["receipts"]) == 1
    # Not acknowledged yet: shown again.
    assert client.get("/apis/v1/receipts").json()["receipts"] == page["receipts"]


def test_a_system_never_sees_another_authoritys_receipts(cast):
    cast.nordby.submit(cast.nordby.memo(cast.anna))
    assert cast.sydby.client().get("/apis/v1/receipts").json()["receipts"] == []


def test_limit_pages_through_receipts(cast):
    for _ in range(3):
        cast.nordby.submit(cast.nordby.memo(cast.anna))
    client = cast.nordby.client()
    page = client.get("/apis/v1/receipts?limit=2").json()
    assert len(page["receipts"]) == 2
    rest = client.get(f"/apis/v1/receipts?after={page['cursor']}&limit=2").json()
    assert len(rest["receipts"]) == 1
