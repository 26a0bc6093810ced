"""The citizen space: every request of a phone, what is awaited, the messages — only
after the phone is proven by a one-time code."""

from django.test import Client

from mizan.accounts.models import Role
from mizan.cases.services import case_submit, case_transition
from mizan.reference.models import Region

from .factories import file_complaint, register_and_assign, staff
from .test_tracking import last_code

PHONE = "+212611223344"


def sign_in(client: Client, run_worker, phone: str = PHONE):
    response = client.post("/fr/space/sign-in/", {"phone": "0" + phone[4:]})
    assert response.status_code == 302 and response["Location"] == "/fr/space/code/"
    run_worker()
    response = client.post("/fr/space/code/", {"code": last_code(phone)})
    assert response["Location"] == "/fr/space/"
    return client.get("/fr/space/").content.decode()


def test_the_space_lists_every_request_of_the_phone_and_what_is_awaited(reference_data, run_worker):
    complaint = file_complaint(phone=PHONE)
    clerk = staff("clerk", "PROS-TPI_CASA_PENAL", Role.AGENT)
    prosecutor = staff("prosecutor", "PROS-TPI_CASA_PENAL", Role.MAGISTRATE)
    register_and_assign(complaint.case, clerk=clerk, prosecutor=prosecutor)
    case_transition(
        case_id=complaint.case.pk,
        step_name="request_information",
        actor=prosecutor,
        message="Send the invoice.",
    )
    region = Region.objects.order_by("pk").first()
    grievance = case_submit(
        procedure="grievance",
        filer_name="Amina",
        filer_phone="+212699999999",
        language="fr",
        commune=None,
        # Filed by a relative for the phone's holder, who is the person concerned.
        details={"region": region.pk, "concerned": {"name": "Amina", "phone": PHONE}},
    )
    someone_else = file_complaint(phone="+212600000001")

    client = Client()
    assert client.get("/fr/space/")["Location"] == "/fr/space/sign-in/"
    page = sign_in(client, run_worker)
    assert complaint.case.reference in page and grievance.case.reference in page
    assert someone_else.case.reference not in page
    assert page.index('id="awaited-title"') < page.index(complaint.case.reference)
    # The space opens the tracking pages of those requests, and only those.
    assert client.get(f"/fr/track/{complaint.case.reference}/").status_code == 200
    response = client.get(f"/fr/track/{someone_else.case.reference}/")
    assert response.status_code == 302
    # The person concerned by the grievance follows it, but only its filer acts on it.
    tracking = client.get(f"/fr/track/{grievance.case.reference}/").content.decode()
    assert "withdraw/" not in tracking
    response = client.post(
        f"/fr/track/{grievance.case.reference}/step/withdraw/", {"withdraw-confirm": "on"}
    )
    assert response.status_code == 302
    grievance.case.refresh_from_db()
    assert grievance.case.status == "received"
    # Signing out closes the space and the tracking pages it opened.
    client.post("/fr/space/sign-out/")
    assert client.get("/fr/space/")["Location"] == "/fr/space/sign-in/"
    assert client.get(f"/fr/track/{complaint.case.reference}/").status_code == 302


def test_a_wrong_code_opens_nothing(reference_data, run_worker):
    file_complaint(phone=PHONE)
    client = Client()
    client.post("/fr/space/sign-in/", {"phone": PHONE})
    response = client.post("/fr/space/code/", {"code": "000000"})
    assert response.status_code == 200 and 'id="error-summary"' in response.content.decode()
    assert client.get("/fr/space/")["Location"] == "/fr/space/sign-in/"


def test_a_bad_number_is_refused_with_what_to_fix(db):
    response = Client().post("/fr/space/sign-in/", {"phone": "12"})
    assert response.status_code == 200
    assert 'id="error-summary"' in response.content.decode()
