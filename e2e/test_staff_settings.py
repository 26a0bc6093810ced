"""Staff pages reached from the menu rather than from a case, in a real browser, in
Arabic and French (French once more without JavaScript): a head of unit turns automatic
distribution on and off again on *My units*; every page checked (axe, screenshot).

The unit is the one the complaint journey works in: the test leaves its setting as it
found it (off), since that journey assigns by hand."""

import pytest

from .conftest import ARTIFACTS, StaffDesk

CASES = [("ar", True), ("fr", True), ("fr", False)]
UNIT = "PROS-TPI_CASA_PENAL"


def variant(language: str, js: bool) -> str:
    return f"{language}-{'js' if js else 'nojs'}"


def distributes() -> bool:
    from mizan.accounts.models import Unit

    return Unit.objects.get(code=UNIT).distribute_automatically


def visit(desk: StaffDesk, name: str, action) -> None:
    desk.checks.start()
    action()
    desk.page.wait_for_load_state("load")
    desk.checks.check(name)


@pytest.mark.parametrize(
    ("language", "js"), CASES, ids=[variant(language, js) for language, js in CASES]
)
def test_a_head_of_unit_turns_automatic_distribution_on_and_off(browser, server, language, js):
    folder = ARTIFACTS / f"staff-settings-{variant(language, js)}"
    desk = StaffDesk(browser, server, folder, language, js, "head")
    page = desk.page
    assert not distributes()
    visit(desk, "units", lambda: page.click("nav.staff-nav a[href$='/backoffice/units/']"))
    box = page.locator("main input[type=checkbox][name=distribute]")
    assert box.count() == 1 and not box.is_checked()
    # The magistrates and their open cases, in a table with a caption.
    assert page.locator("main table caption").count() == 1
    box.check()
    visit(desk, "units-on", lambda: page.click("main form button[type=submit]"))
    assert distributes()
    assert page.locator("main input[name=distribute]").is_checked()
    page.locator("main input[name=distribute]").uncheck()
    visit(desk, "units-off", lambda: page.click("main form button[type=submit]"))
    assert not distributes()
    desk.close()
