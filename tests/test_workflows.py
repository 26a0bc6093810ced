"""Every procedure's workflow walked: states reachable, terminals closed, every
label and message translated in Arabic, French and English."""

import pytest
from django.conf import settings
from django.utils import translation

from mizan.notifications.encoding import sms_shape
from mizan.notifications.messages import MESSAGES, SAMPLE_CONTEXT
from mizan.notifications.services import notification_render
from mizan.procedures.registry import PROCEDURES
from mizan.procedures.workflow import State, Step, Workflow

LANGUAGES = ["ar", "fr", "en"]


@pytest.mark.parametrize("code", PROCEDURES)
def test_workflow_is_consistent(code):
    workflow = PROCEDURES[code].workflow
    assert workflow.problems() == []
    terminals = [state for state in workflow.states if state.terminal]
    assert terminals, "a workflow needs at least one terminal state"
    for state in terminals:
        assert workflow.steps_from(state.name) == []


@pytest.mark.parametrize("code", PROCEDURES)
def test_every_state_is_reachable_by_walking_the_steps(code):
    workflow = PROCEDURES[code].workflow
    seen, frontier, taken = {workflow.initial}, [workflow.initial], set()
    while frontier:
        for step in workflow.steps_from(frontier.pop()):
            taken.add(step.name)
            if step.target not in seen:
                seen.add(step.target)
                frontier.append(step.target)
    assert seen == {state.name for state in workflow.states}
    assert taken == {step.name for step in workflow.steps}


@pytest.mark.parametrize("code", PROCEDURES)
def test_every_state_says_what_it_means_and_every_input_has_a_field(code):
    from mizan.backoffice.views import STEP_INPUT_NAMES

    procedure = PROCEDURES[code]
    assert procedure.title and procedure.description
    workflow = procedure.workflow
    assert [s.name for s in workflow.states if not s.explanation] == []
    inputs = {name for step in workflow.steps for name in step.inputs}
    assert inputs <= set(STEP_INPUT_NAMES)
    # Only the filer may withdraw, and never once a decision is taken.
    withdraw = workflow.step("withdraw")
    assert withdraw is not None and withdraw.roles == frozenset({"citizen"})
    assert not any(workflow.state(source).terminal for source in withdraw.sources)
    assert "closed" not in withdraw.sources


def test_a_broken_workflow_is_refused():
    with pytest.raises(ValueError, match="unreachable"):
        Workflow(
            procedure="broken",
            initial="a",
            states=(
                State("a", "A", "A"),
                State("b", "B", "B", terminal=True),
                State("orphan", "O", "O", terminal=True),
            ),
            steps=(Step("go", "Go", ("a",), "b", frozenset({"agent"})),),
        )


@pytest.mark.parametrize("code", PROCEDURES)
@pytest.mark.parametrize("language", ["ar", "fr"])
def test_every_label_and_message_is_translated(code, language):
    procedure = PROCEDURES[code]
    workflow = procedure.workflow
    texts = [procedure.label, procedure.title, procedure.description]
    texts += [s.label for s in workflow.states] + [s.citizen_label for s in workflow.states]
    texts += [s.explanation for s in workflow.states]
    texts += [s.label for s in workflow.steps]
    keys = {s.notify for s in workflow.steps if s.notify} | {procedure.received_message}
    assert keys <= set(MESSAGES), f"unknown message keys {keys - set(MESSAGES)}"
    texts += [MESSAGES[key] for key in keys]
    with translation.override("en"):
        english = [str(text) for text in texts]
    with translation.override(language):
        translated = [str(text) for text in texts]
    untranslated = [e for e, t in zip(english, translated, strict=True) if e == t]
    assert untranslated == [], f"not translated into {language}: {untranslated}"


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("key", sorted(MESSAGES))
def test_every_message_renders_with_its_placeholders_within_its_sms_budget(db, key, language):
    text = notification_render(template_key=key, language=language, context=SAMPLE_CONTEXT)
    assert "%(" not in text
    with translation.override("en"):
        source = str(MESSAGES[key])
    if "%(reference)s" in source:
        assert "PLT-2026-000001-N" in text
    # Every word of an SMS is paid for, per segment: each wording must fit the budget.
    assert sms_shape(text).segments <= settings.MIZAN_SMS_MAX_SEGMENTS, text
