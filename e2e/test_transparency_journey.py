"""Public figures in a real browser on a phone-sized screen: the transparency dashboard
and its open data, in Arabic, French and English, and in Arabic without JavaScript.

The history is seeded through the services in the server's database, then moved to its
dates (as `tests/test_transparency.py` does) and published with `refresh_transparency`,
the nightly job: complaints at the Meknès and Sefrou prosecution offices over the last
three months (decided and pending; Sefrou's counts are small), questions to the
Judicial Council, and a few bail requests at Meknès. These offices and desks are none
of the other journeys' (their queues stay as they were), and their figures are checked
in months no other journey files in.

From the home page, the citizen opens the dashboard and, through its form, chooses a
region and a period, then an office, then another procedure. Each time the three
charts are SVG named by their title and described by their description, each beside
a table (in a box a keyboard reaches) whose figures are the published ones ("< 10"
and "x" included); the Arabic page reads right to left with its charts mirrored and
its numbers in Latin digits; nothing scrolls sideways but the tables. The dashboard's
link leads to the data dictionary; a month's CSV (downloaded from its link) and JSON
at their stable addresses parse, with their documented columns, the licence, and the
dashboard's figures. Every page: a screenshot, axe-core, the weight budget, no other
host.

Nothing here reads translated wording: pages are followed by element ids, field names
and URLs; expected figures and names are computed with the project's own code in the
page's language."""

import csv
import io
import json
import re
from datetime import datetime
from urllib.parse import parse_qsl, urlsplit

import pytest
from playwright.sync_api import expect

from .conftest import ARTIFACTS, PHONE_VIEWPORT, Citizen

MEKNES = "03.061.03.01"  # a commune whose complaints go to the Meknès prosecution office
SEFROU = "03.451.03.01"  # ... and one of Sefrou's, in the same region (Fès-Meknès)
REGION = "03"
MEKNES_OFFICE, SEFROU_OFFICE = "PROS-TPI_MEKNES", "PROS-TPI_SEFROU"
CHARTS = ("chart-monthly", "chart-ages", "chart-outcomes", "chart-channels")
# Arabic-Indic and Persian digits: the Arabic pages write numbers in Latin digits, as
# Moroccan administrations do (Django's `ar` formats).
EASTERN_DIGITS = re.compile("[\u0660-\u0669\u06f0-\u06f9]")

CASES = [("ar", True), ("fr", True), ("en", True), ("ar", False)]


def variant(language: str, js: bool) -> str:
    return f"{language}-{'js' if js else 'nojs'}"


# --- the history ---------------------------------------------------------------------
# Per procedure and place, per month (an offset from the current one): requests filed
# that were decided during the month, decided the month after, and still waiting. The
# n-th request of a month is filed on its n-th day; a decision comes 4 to 9 days later,
# or 32 days later for those decided the month after.
HISTORY = {
    ("complaint", MEKNES): [(-3, 11, 0, 2), (-2, 10, 3, 3), (-1, 4, 0, 7), (0, 0, 0, 2)],
    ("complaint", SEFROU): [(-2, 1, 0, 2), (-1, 0, 0, 2)],
    ("question", "CSPJ"): [(-2, 11, 0, 1), (-1, 3, 0, 0)],
    ("bail", "TPI_MEKNES"): [(-1, 2, 0, 2)],
}


@pytest.fixture(scope="module")
def history(server):
    """The first month of the history, seeded and published in the server's database."""
    return seed_history()


def seed_history():
    """The cases of HISTORY, filed and decided through the services by staff of their
    offices, moved to their dates, then the figures published by the nightly command.
    Returns the first month seeded."""
    from django.core.management import call_command

    from mizan.accounts.models import Role, Unit
    from mizan.accounts.services import staff_user_create
    from mizan.transparency.periods import add_months, current_month

    from .conftest import STAFF_PASSWORD

    people = {}
    for username, unit_code, roles in (
        ("meknes.clerk", MEKNES_OFFICE, [Role.AGENT]),
        ("meknes.prosecutor", MEKNES_OFFICE, [Role.MAGISTRATE]),
        ("sefrou.clerk", SEFROU_OFFICE, [Role.AGENT]),
        ("sefrou.prosecutor", SEFROU_OFFICE, [Role.MAGISTRATE]),
        ("cspj.agent", "CSPJ", [Role.AGENT]),
    ):
        people[username] = staff_user_create(
            username=username,
            password=STAFF_PASSWORD,
            full_name=f"{username.title()} E2E",
            unit=Unit.objects.get(code=unit_code),
            roles=roles,
        )

    now = current_month()
    serial = 0
    for (procedure, place), months in HISTORY.items():
        for offset, decided_in_month, decided_next_month, waiting in months:
            month = add_months(now, offset)
            delays = [4 + n % 6 for n in range(decided_in_month)]
            delays += [32] * decided_next_month + [None] * waiting
            for day, delay in enumerate(delays, start=1):
                serial += 1
                case = _file(procedure, place, serial)
                if delay is not None:
                    _decide(case, procedure, place, serial, people)
                if offset == 0:
                    continue  # filed now, as it is: the current month
                filed = _local(month, day, 9)
                decided = None
                if delay is not None:
                    decided = _local(month, day + delay, 15)
                    expected = add_months(month, 0 if delay < 32 else 1)
                    assert (decided.year, decided.month) == (expected.year, expected.month)
                _move(case, filed, decided)
    first = add_months(now, -3)
    call_command("refresh_transparency", "--since", first.strftime("%Y-%m"), verbosity=0)
    return first


def _local(month, day: int, hour: int) -> datetime:
    from datetime import timedelta

    from mizan.deadlines.calendar import MOROCCO_TZ

    start = datetime(month.year, month.month, 1, hour, tzinfo=MOROCCO_TZ)
    return start + timedelta(days=day - 1)


def _file(procedure: str, place: str, serial: int):
    from mizan.cases.services import case_submit
    from mizan.reference.models import Commune, Prison

    phone = f"+21266{serial:07d}"
    name = "Transparency Seed"
    if procedure == "complaint":
        commune = Commune.objects.get(code=place)
        details = {
            "complainant_kind": "person",
            "id_kind": "cin",
            "id_number": f"CD{serial:06d}",
            "nationality": "MA",
            "country_of_residence": "MA",
            "accused_unknown": True,
            "accused": [],
            "category": "theft",
            "facts": "My bicycle was taken from in front of the market.",
            "facts_date": "2025-01-05",
            "province": commune.province_id,
            "commune": commune.code,
        }
        return case_submit(
            procedure=procedure,
            filer_name=name,
            filer_phone=phone,
            language="fr",
            commune=commune,
            details=details,
        ).case
    if procedure == "question":
        details = {
            "institution": place,
            "subject": "Judicial calendar",
            "facts": "When do the courts' summer holidays start?",
        }
    else:
        details = {
            "detainee": {
                "name": "Detained Seed",
                "cin": "",
                "prison": str(Prison.objects.order_by("pk").first().pk),
            },
            "court": place,
            "case_number": "",
            "detention_date": "2025-01-05",
            "guarantee_amount": "10000",
            "surety": "",
            "facts": "He has a fixed address and a job.",
            "relationship": "sibling",
        }
    return case_submit(
        procedure=procedure,
        filer_name=name,
        filer_phone=phone,
        language="ar",
        commune=None,
        details=details,
    ).case


def _decide(case, procedure: str, place: str, serial: int, people) -> None:
    from mizan.cases.services import case_transition

    def step(name, who, **fields):
        case_transition(case_id=case.pk, step_name=name, actor=people[who], **fields)

    if procedure == "complaint":
        office = "meknes" if place == MEKNES else "sefrou"
        prosecutor = people[f"{office}.prosecutor"]
        step("register", f"{office}.clerk", inputs={"registry_number": str(serial)})
        step("assign", f"{office}.clerk", inputs={"assignee": prosecutor.pk})
        outcome = "decide_prosecution" if serial % 3 == 0 else "decide_no_action"
        step(outcome, f"{office}.prosecutor", message="Decision explained to the complainant.")
    elif procedure == "question":
        step("answer", "cspj.agent", message="They start on the 1st of August.")
    else:
        step("refer_magistrate", "meknes.clerk")
        step("decide_refused", "meknes.prosecutor", message="No guarantee of appearance.")


def _move(case, filed: datetime, decided: datetime | None) -> None:
    """The engine stamps every step with the present time: the case is moved to the
    history's dates afterwards, on its own rows only (as in tests/test_transparency.py)."""
    from mizan.cases.models import Case, CaseEvent
    from mizan.notifications.models import Notification

    decisions = list(case.workflow.outcome_states())
    Case.objects.filter(pk=case.pk).update(submitted_at=filed)
    CaseEvent.objects.filter(case=case).exclude(to_status__in=decisions).update(at=filed)
    if decided is not None:
        CaseEvent.objects.filter(case=case, to_status__in=decisions).update(at=decided)
    Notification.objects.filter(case=case).update(created_at=filed)


# --- what the pages must show, computed with the project's code -------------------------
def published(language: str, **choices):
    """The dashboard's figures for these choices, in the page's language."""
    from django.utils import translation

    from mizan.transparency.selectors import dashboard, dashboard_selection

    with translation.override(language):
        figures = dashboard(dashboard_selection(choices))
        monthly = [
            [str(m.cells[c]) for c in ("received", "decided", "pending", "median_days")]
            for m in figures.months
        ]
        ages = [str(cell) for _label, cell in figures.ages]
        outcomes = [str(cell) for _label, cell, _share in figures.outcomes]
        return {
            "figures": figures,
            "title": f"{figures.procedure_label} — {figures.area_name}",
            "monthly": monthly,
            "ages": ages,
            "outcomes": outcomes,
        }


def cells(page, section: str) -> list[list[str]]:
    """The figures (td) of each body row of a section's table."""
    rows = page.locator(f"section[aria-labelledby={section}] table tbody tr")
    return [row.locator("td").all_inner_texts() for row in rows.all()]


def dashboard_shows(page, language: str, expected) -> None:
    """Title, charts and tables of the dashboard as published."""
    from mizan.transparency.charts import WIDTH

    rtl = language == "ar"
    assert page.get_attribute("html", "lang") == language
    assert page.get_attribute("html", "dir") == ("rtl" if rtl else "ltr")
    assert page.locator("main h2").first.inner_text().strip() == expected["title"]

    assert page.locator("main svg").count() == len(CHARTS)
    for chart in CHARTS:
        svg = page.locator(f"svg:has(title#{chart}-title)")
        assert svg.get_attribute("role") == "img"
        title = svg.locator("title").text_content().strip()
        description = svg.locator("desc").text_content().strip()
        assert title and description
        # What a screen reader announces: the title, then the description.
        expect(svg).to_have_accessible_name(title)
        expect(svg).to_have_accessible_description(description)
        assert svg.get_attribute("direction") == ("rtl" if rtl else "ltr")
        # Beside it, a table with a caption giving the same figures, in a box that
        # scrolls on a phone and that a keyboard reaches, named by the caption.
        wrap = svg.locator("xpath=following-sibling::div[1][@class='table-wrap']")
        caption = wrap.locator("table caption").inner_text().strip()
        assert caption and wrap.get_attribute("tabindex") == "0"
        expect(wrap).to_have_role("region")
        expect(wrap).to_have_accessible_name(caption)
        # Drawn within the phone's width.
        assert svg.bounding_box()["width"] <= PHONE_VIEWPORT["width"]

    # The charts are mirrored on Arabic pages: the first month's bar is on the right.
    bars = page.locator("#chart-monthly-title ~ rect")
    first, last = (float(bars.nth(i).get_attribute("x")) for i in (0, bars.count() - 1))
    assert (first > last) if rtl else (first < last), (first, last)
    ticks = [
        float(x)
        for x in page.locator("#chart-monthly-title ~ text.tick").evaluate_all(
            "texts => texts.map(t => t.getAttribute('x'))"
        )
    ]
    assert all((x > WIDTH / 2) if rtl else (x < WIDTH / 2) for x in ticks), ticks

    # Every table cell is the published figure ("< 10", "x" and "—" included).
    assert cells(page, "monthly-title") == expected["monthly"]
    assert [row[0] for row in cells(page, "ages-title")] == expected["ages"]
    assert [row[0] for row in cells(page, "outcomes-title")] == expected["outcomes"]
    # A bar per month and series; a hidden figure is a grey stub in its place.
    shown = [cell for row in expected["monthly"] for cell in row[:2]]
    assert bars.count() == len(shown)
    hidden = [cell for cell in shown if not cell[0].isdigit()]
    assert page.locator("#chart-monthly-title ~ rect.bar-hidden").count() == len(hidden)

    main = page.inner_text("main")
    assert not EASTERN_DIGITS.search(main), "numbers in Latin digits on every page"
    # The page does not scroll sideways on a phone (wide tables scroll in their box).
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE_VIEWPORT["width"]


def choose(citizen: Citizen, name: str, **choices):
    """Select the choices in the dashboard's form and send it: the page shows the
    published figures of what its address asks for, which are returned."""
    page = citizen.page
    for field, value in choices.items():
        page.select_option(f"form.filters select[name={field}]", value)
    citizen.visit(name, lambda: page.click("form.filters button[type=submit]"))
    query = dict(parse_qsl(urlsplit(page.url).query, keep_blank_values=True))
    assert {field: query.get(field) for field in choices} == choices, page.url
    expected = published(citizen.language, **query)
    dashboard_shows(page, citizen.language, expected)
    return expected


# --- the journey ---------------------------------------------------------------------------
@pytest.mark.parametrize(("language", "js"), CASES, ids=[variant(*case) for case in CASES])
def test_public_figures_and_open_data(browser, server, history, language, js):
    from django.conf import settings

    from mizan.transparency.measures import file_columns
    from mizan.transparency.periods import add_months
    from mizan.transparency.views import FILE_COLUMNS

    folder = ARTIFACTS / f"transparency-{variant(language, js)}"
    citizen = Citizen(browser, server, folder / "public", language, js)
    page = citizen.page

    citizen.visit("home", "/")
    citizen.visit("dashboard", lambda: page.click(f"main a[href='/{language}/transparency/']"))
    assert page.url.endswith(f"/{language}/transparency/"), page.url
    dashboard_shows(page, language, published(language))

    # Complaints (the first procedure) in the Fès-Meknès region over 24 months; then
    # the region's offices can be chosen: Meknès.
    region = choose(citizen, "complaints-region", region=REGION, period="24")
    assert region["figures"].selection.procedure == "complaint"
    offices = page.locator("select[name=office] option").all()
    assert {o.get_attribute("value") for o in offices} == {"", MEKNES_OFFICE, SEFROU_OFFICE}
    meknes = choose(citizen, "complaints-meknes", office=MEKNES_OFFICE)
    months = meknes["figures"].months
    assert [m.month for m in months] == [add_months(history, n) for n in range(4)]
    # Three months ago: 13 complaints received, 11 decided (Sefrou had none yet).
    assert cells(page, "monthly-title")[0][:2] == ["13", "11"]
    # Two months ago Sefrou's 3 complaints are hidden, and Meknès' 16 with them: they
    # would give Sefrou's away by subtraction from the region's 19.
    sefrou = published(
        language, procedure="complaint", region=REGION, office=SEFROU_OFFICE, period="24"
    )
    assert sefrou["monthly"][1][0] == "< 10" and region["monthly"][1][0] == "19"
    assert cells(page, "monthly-title")[1][0] == "x"

    # The files of the last month shown, at their stable addresses (no language).
    csv_link = page.locator("main a[href$='.csv']")
    json_link = page.locator("main a[href$='.json']")
    last = months[-1].month.strftime("%Y-%m")
    assert csv_link.get_attribute("href") == f"/transparency/data/complaint-{last}.csv"
    assert json_link.get_attribute("href") == f"/transparency/data/complaint-{last}.json"
    assert csv_link.get_attribute("download") is not None

    # Another procedure: questions (all to the Judicial Council, a national body): the
    # region and office chosen are not theirs, so the whole country is shown; too few
    # questions for any count of theirs to be published.
    questions = choose(citizen, "questions", procedure="question")
    assert questions["figures"].selection.level == "national"
    assert page.input_value("select[name=region]") == ""

    # The data dictionary, from the dashboard's link.
    citizen.visit("data", lambda: page.click(f"main a[href='/{language}/transparency/data/']"))
    assert page.url.endswith(f"/{language}/transparency/data/"), page.url
    assert settings.MIZAN_TRANSPARENCY_LICENCE in page.inner_text("main .licence")
    for column in (*FILE_COLUMNS, *file_columns("complaint")):
        assert page.locator(f"main code:text-is('{column}')").count() >= 1, column
    assert not EASTERN_DIGITS.search(page.inner_text("main"))
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE_VIEWPORT["width"]

    # Two months ago's complaints: the CSV downloaded from its link, the JSON fetched.
    month = add_months(history, 1).strftime("%Y-%m")
    link = page.locator(f"main a[href='/transparency/data/complaint-{month}.csv']")
    with page.expect_download() as download:
        link.click()
    assert download.value.suggested_filename == f"complaint-{month}.csv"
    rows = list(csv.reader(io.StringIO(download.value.path().read_text(encoding="utf-8"))))
    header, rows = rows[0], [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]
    assert header == [*FILE_COLUMNS, *file_columns("complaint")]
    by_area = {row["area_code"]: row for row in rows}
    assert {"", REGION, MEKNES_OFFICE, SEFROU_OFFICE} <= set(by_area)
    assert {row["month"] for row in rows} == {month}
    # The same cells as on the dashboard (the files write "<10" for "< 10").
    for office, shown in ((MEKNES_OFFICE, meknes), (SEFROU_OFFICE, sefrou)):
        in_file = [by_area[office][c] for c in ("received", "decided", "pending", "median_days")]
        on_page = [c.replace("< ", "<").replace("—", "") for c in shown["monthly"][1]]
        assert in_file == on_page, office
    assert by_area[SEFROU_OFFICE]["received"] == f"<{settings.MIZAN_TRANSPARENCY_MIN_CELL}"

    address = page.locator(
        f"main li:has(a[href='/transparency/data/complaint-{month}.csv']) a[href$='.json']"
    )
    assert address.get_attribute("href") == f"/transparency/data/complaint-{month}.json"
    response = citizen.context.request.get(server + address.get_attribute("href"))
    assert response.ok and response.headers["content-type"].startswith("application/json")
    assert '/transparency/data/>; rel="describedby"' in response.headers["link"]
    data = json.loads(response.text())
    assert data["licence"] == settings.MIZAN_TRANSPARENCY_LICENCE
    assert data["dictionary"].startswith(server) and "/transparency/data/" in data["dictionary"]
    assert data["month"] == month and data["columns"] == file_columns("complaint")
    json_rows = {row["area_code"]: row for row in data["rows"]}
    assert json_rows[SEFROU_OFFICE]["values"]["received"] is None
    assert json_rows[SEFROU_OFFICE]["hidden"]["received"] == "small"
    assert json_rows[MEKNES_OFFICE]["hidden"]["received"] == "complementary"
    assert json_rows[""]["values"]["received"] == int(by_area[""]["received"])
    catalogue = citizen.context.request.get(f"{server}/transparency/data/catalogue.json")
    assert any(
        f["procedure"] == "complaint"
        and f["month"] == month
        and f["csv"].endswith(f"/transparency/data/complaint-{month}.csv")
        for f in catalogue.json()["files"]
    )
    citizen.close()
