"""One lifecycle: only `messages/services/lifecycle.py` writes `Message.state`.

The checker reads the source with `ast` (nothing is imported or run) and reports every write of a message's
state outside the lifecycle service: `x.state = …` (also in a tuple target) or `setattr(x, "state", …)` on a
message, `.save(update_fields=[…"state"…])` on a message, and `state=` given to `update`, `create`,
`get_or_create`, `update_or_create` or `Message(…)` on a message query. A name counts as a message when it is
annotated `Message`, bound from an expression that names `Message` (`Message.objects…`) or `lock_message(…)`, or
when the value written names `Message.State`. Other models' states (jobs, print letters, SMS) are left alone.
The checker is itself tested on small planted sources, so a blind spot shows up as a failing test.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from digitalpost.core.lifecycle import TRANSITIONS, MessageState
from digitalpost.messages.models import Message

SRC = Path(__file__).resolve().parents[2] / "src" / "digitalpost"
LIFECYCLE = SRC / "messages" / "services" / "lifecycle.py"
WRITING_CALLS = {"update", "create", "get_or_create", "update_or_create", "bulk_update"}
LOCKERS = {"lock_message"}


def _names_message(node: ast.AST | None) -> bool:
    return node is not None and any(isinstance(n, ast.Name) and n.id == "Message" for n in ast.walk(node))


def _names_message_state(node: ast.AST) -> bool:
    return any(
        isinstance(n, ast.Attribute) and n.attr == "State" and isinstance(n.value, ast.Name) and n.value.id == "Message"
        for n in ast.walk(node)
    )


def _is_lock_call(node: ast.AST) -> bool:
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in LOCKERS


def _message_names(tree: ast.AST) -> set[str]:
    """Names that hold a message somewhere in the module (scopes merged: precise enough for our code)."""
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.arg) and node.annotation is not None and _names_message(node.annotation):
            found.add(node.arg)
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and _names_message(node.annotation):
            found.add(node.target.id)
        elif isinstance(node, ast.Assign) and (_names_message(node.value) or _is_lock_call(node.value)):
            if isinstance(node.value, ast.Attribute) and _names_message_state(node.value):
                continue  # `target = Message.State.X` is a value, not a message
            found.update(t.id for t in node.targets if isinstance(t, ast.Name))
    return found


def _state_targets(target: ast.AST) -> list[ast.Attribute]:
    if isinstance(target, ast.Tuple | ast.List):
        return [a for element in target.elts for a in _state_targets(element)]
    return [target] if isinstance(target, ast.Attribute) and target.attr == "state" else []


def _owner(node: ast.AST) -> str | None:
    return node.id if isinstance(node, ast.Name) else None


def _root(call: ast.Call) -> ast.AST:
    node: ast.AST = call.func
    while isinstance(node, ast.Attribute | ast.Call):
        node = node.value if isinstance(node, ast.Attribute) else node.func
    return node


def _call_violation(call: ast.Call, messages: set[str]) -> str | None:
    func = call.func
    name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
    state_kw = next((k for k in call.keywords if k.arg == "state"), None)
    if name == "setattr" and len(call.args) >= 2 and isinstance(call.args[1], ast.Constant) \
            and call.args[1].value == "state" and (_owner(call.args[0]) in messages
                                                   or _names_message_state(call.args[2] if len(call.args) > 2
                                                                           else call.args[1])):
        return "setattr(…, 'state', …) on a message"
    if name == "save" and isinstance(func, ast.Attribute) and _owner(func.value) in messages:
        fields = next((k.value for k in call.keywords if k.arg == "update_fields"), None)
        if fields is not None and any(isinstance(n, ast.Constant) and n.value == "state" for n in ast.walk(fields)):
            return "save(update_fields=[…'state'…]) on a message"
    if state_kw is None:
        return None
    if name == "Message":
        return "Message(state=…)"
    if name in WRITING_CALLS and (_names_message_state(state_kw.value) or _owner(_root(call)) == "Message"
                                  or _owner(_root(call)) in messages):
        return f"{name}(state=…) on messages"
    return None


def lifecycle_violations(source: str, filename: str = "<source>") -> list[str]:
    """Every place in `source` that writes a message's state, as 'file:line: what'."""
    tree = ast.parse(source, filename=filename)
    messages = _message_names(tree)
    found = []
    for node in ast.walk(tree):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target] \
            if isinstance(node, ast.AugAssign | ast.AnnAssign) else []
        value = getattr(node, "value", None)
        for target in (a for t in targets for a in _state_targets(t)):
            if _owner(target.value) in messages or (value is not None and _names_message_state(value)):
                found.append(f"{filename}:{node.lineno}: assigns .state on a message")
        if isinstance(node, ast.Call) and (what := _call_violation(node, messages)) is not None:
            found.append(f"{filename}:{node.lineno}: {what}")
    return found


def test_only_the_lifecycle_service_writes_message_state():
    found = []
    for path in sorted(SRC.rglob("*.py")):
        if path == LIFECYCLE or "migrations" in path.parts:
            continue
        found += lifecycle_violations(path.read_text(), str(path.relative_to(SRC)))
    assert found == [], "Message.state is written outside messages/services/lifecycle.py:\n" + "\n".join(found)


def test_the_lifecycle_service_itself_is_seen_writing_the_state():
    # If the checker saw nothing here, it would be blind, and the test above would pass for the wrong reason.
    assert len(lifecycle_violations(LIFECYCLE.read_text())) >= 3


PLANTED = {
    "attribute on a locked message": """
def f(message_id):
    message = Message.objects.select_for_update().get(pk=message_id)
    message.state = "DELIVERED"
""",
    "attribute on a message found by its state": """
def f(pk):
    message = Message.objects.filter(pk=pk, state=Message.State.ACCEPTED).first()
    message.state = target
""",
    "attribute on an annotated parameter": """
def f(message: Message):
    message.state = other
""",
    "attribute in a tuple target": """
def f(m):
    m.state, m.delivered_at = Message.State.DELIVERED, now
""",
    "attribute on a name from lock_message": """
def f(pk):
    locked = lock_message(pk)
    locked.state = target
""",
    "queryset update": """
Message.objects.filter(pk=pk).update(state=Message.State.FAILED)
""",
    "update on another queryset with a message state": """
routed(receiver).filter(pk=pk).update(state=Message.State.DELIVERED)
""",
    "create with a state": """
Message.objects.create(state="DELIVERED", label="x")
""",
    "model constructor": """
row = Message(state=Message.State.RECALLED)
""",
    "setattr": """
def f(message: Message):
    setattr(message, "state", "FAILED")
""",
    "save of the state field": """
def f(message: Message):
    message.save(update_fields=["state", "delivered_at"])
""",
}


@pytest.mark.parametrize("source", PLANTED.values(), ids=PLANTED.keys())
def test_the_checker_catches_a_planted_state_write(source):
    assert len(lifecycle_violations(source)) >= 1


ALLOWED = {
    "another model's state": """
def f(job: Job, item):
    job.state = Job.State.PENDING
    item.state, item.status_reason = target, reason
    PrintLetter.objects.filter(pk=1).update(state=PrintLetter.State.BATCHED)
""",
    "reading and filtering": """
def f(message: Message):
    if message.state != Message.State.ACCEPTED:
        return Message.objects.filter(state=Message.State.ACCEPTED).exclude(state="FAILED")
    message.save(update_fields=["pending_memo"])
""",
}


@pytest.mark.parametrize("source", ALLOWED.values(), ids=ALLOWED.keys())
def test_the_checker_leaves_other_states_and_reads_alone(source):
    assert lifecycle_violations(source) == []


def test_the_pure_table_names_exactly_the_model_states():
    assert {s.value for s in MessageState} == set(Message.State.values)
    assert set(TRANSITIONS) == set(MessageState)
