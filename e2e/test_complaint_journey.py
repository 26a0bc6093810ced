"""The complaint journey in a real browser on a phone-sized screen, in Arabic and in
French, once more with JavaScript off: file with an attachment and the one-time
code, the office's steps, track, answer a request for information."""

import pytest

from .conftest import (
    ARTIFACTS,
    PDF,
    PHONE_VIEWPORT,
    PageChecks,
    sms_code_for,
    staff_step,
)


@pytest.mark.parametrize(
    ("language", "js"),
    [("ar", True), ("fr", True), ("ar", False), ("fr", False)],
    ids=["ar-js", "fr-js", "ar-nojs", "fr-nojs"],
)
def test_complaint_journey_in_the_browser(browser, server, tmp_path, language, js):
    folder = ARTIFACTS / f"complaint-{language}-{'js' if js else 'nojs'}"
    phone = {"ar": "+212661000001", "fr": "+33612000001"}[language]
    phone = phone[:-1] + ("1" if js else "2")
    attachment = tmp_path / "receipt.pdf"
    attachment.write_bytes(PDF)

    context = browser.new_context(
        viewport=PHONE_VIEWPORT,
        java_script_enabled=js,
        locale={"ar": "ar-MA", "fr": "fr-MA"}[language],
    )
    page = context.new_page()
    checks = PageChecks(page, server, folder / "citizen", citizen=True, js=js)
    checks.start()
    page.goto(f"{server}/{language}/")
    assert page.get_attribute("html", "dir") == ("rtl" if language == "ar" else "ltr")
    checks.check("home")

    checks.start()
    page.click("a[href$='/complaint/']")
    checks.check("form")

    # Sent empty: errors in a summary at the top, linked to the fields.
    checks.start()
    page.click("#complaint-form button[type=submit]:not([name])")
    assert page.locator("#error-summary").is_visible()
    assert page.locator("#error-summary a[href='#id_complainant_name']").count() == 1
    if js:  # screen readers start from the summary
        assert page.evaluate("document.activeElement.id") == "error-summary"
    checks.check("form-errors")

    page.fill("#id_complainant_name", "Amina Test" if language == "fr" else "أمينة اختبار")
    page.fill("#id_id_number", "BE123456")
    page.fill("#id_phone", phone)
    page.fill("#id_accused", "Unknown man in a red jacket")
    page.select_option("#id_category", "theft")
    page.fill("#id_facts", "My phone was stolen at the bus station on Saturday evening.")
    page.fill("#id_facts_date", "2026-11-01")
    page.select_option("#id_province", "06.141")
    if js:
        page.wait_for_selector("#id_commune option[value='06.141.01.0']", state="attached")
    else:
        checks.start()
        page.click("button[name=show_communes]")
        checks.check("communes-shown")
        assert page.input_value("#id_facts").startswith("My phone was stolen")
    page.select_option("#id_commune", "06.141.01.0")
    page.set_input_files("#id_attachments", str(attachment))
    page.check("#id_consent")
    checks.start()
    page.click("#complaint-form button[type=submit]:not([name])")
    assert "/complaint/confirm/" in page.url, page.content()[:2000]
    checks.check("confirm-phone")

    page.fill("#id_code", sms_code_for(phone))
    checks.start()
    page.click("button[name=verify]")
    assert f"/{language}/filed/" in page.url
    checks.check("filed")
    reference, access_code = page.locator(".reference").all_inner_texts()

    staff_step(
        browser,
        server,
        folder,
        language,
        js,
        "clerk",
        reference,
        "register",
        registry_number="2026/3101/55",
    )
    staff_step(
        browser,
        server,
        folder,
        language,
        js,
        "head",
        reference,
        "assign",
        assignee="Prosecutor E2E",
    )
    staff_step(
        browser,
        server,
        folder,
        language,
        js,
        "prosecutor",
        reference,
        "request_information",
        message="Please send the IMEI of the phone.",
    )

    # The citizen follows the complaint from another phone, with reference + access code.
    checks.close()
    context.close()
    context = browser.new_context(viewport=PHONE_VIEWPORT, java_script_enabled=js)
    page = context.new_page()
    checks = PageChecks(page, server, folder / "tracking", citizen=True, js=js)
    checks.start()
    page.goto(f"{server}/{language}/track/")
    checks.check("track")
    page.fill("#id_reference", reference.lower())
    page.fill("#id_access_code", access_code)
    checks.start()
    page.click("main form button[type=submit]")
    assert page.url.endswith(f"/track/{reference}/")
    assert "Please send the IMEI of the phone." in page.inner_text("main")
    checks.check("timeline")
    page.fill("#id_message", "IMEI 356938035643809")
    page.set_input_files("#id_attachments", str(attachment))
    checks.start()
    page.click("section form button[type=submit]")
    assert page.locator(".message-success").is_visible()
    checks.check("answered")

    staff_step(
        browser,
        server,
        folder,
        language,
        js,
        "prosecutor",
        reference,
        "decide_prosecution",
        message="The case goes to court.",
    )
    staff_step(browser, server, folder, language, js, "clerk", reference, "close")
    checks.start()
    page.reload()
    assert "The case goes to court." in page.inner_text("main")
    checks.check("closed")
    checks.close()
    context.close()
