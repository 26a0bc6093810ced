"""An agent files for a citizen at a stand: the citizen's phone is proven by the code
they read back; the channel and the agent are recorded; the receipt can be printed."""

from django.test import Client

from mizan.accounts.models import Role
from mizan.cases.models import Case
from mizan.reference.models import Region

from .factories import staff, verified_login
from .test_tracking import last_code


def test_an_agent_files_a_grievance_at_a_stand(reference_data, run_worker):
    region = Region.objects.order_by("pk").first()
    agent = staff("stand", f"MED-{region.pk}", Role.AGENT)
    client = Client()
    verified_login(client, agent)
    assert "grievance" in client.get("/fr/backoffice/file/").content.decode()
    page = client.get("/fr/backoffice/file/grievance/").content.decode()
    fields = {
        "upload_token": page.split('name="upload_token" value="')[1].split('"')[0],
        "channel": "stand",
        "administration": "Regional pension office",
        "request_made": "My pension file",
        "request_date": "2026-06-01",
        "administration_answer": "none",
        "facts": "My pension has not been paid since June despite three visits.",
        "region": region.pk,
        "not_before_court": "on",
        "relationship": "self",
        "filer_name": "Hajja Fatna",
        "phone": "0677889900",
        "preferred_language": "ar",
        "consent": "on",
    }
    # Without the channel: refused, with what to fix, the rest kept.
    response = client.post("/fr/backoffice/file/grievance/", {**fields, "channel": ""})
    assert response.status_code == 200
    assert "My pension has not been paid since June" in response.content.decode()
    response = client.post("/fr/backoffice/file/grievance/", fields)
    assert response.status_code == 302 and "/backoffice/file/code/" in response["Location"]
    code_page = response["Location"]
    run_worker()
    # Another agent cannot finish someone else's filing.
    other = Client()
    verified_login(other, staff("other", f"MED-{region.pk}", Role.AGENT))
    assert other.get(code_page)["Location"].endswith("/backoffice/file/")
    response = client.post(code_page, {"code": last_code("+212677889900"), "verify": "1"})
    assert response.status_code == 302, response.content.decode()[:2000]
    filed = client.get(response["Location"]).content.decode()
    case = Case.objects.get(filer_phone="+212677889900")
    assert case.reference in filed
    assert case.channel == "stand" and case.filed_by == agent and case.language == "ar"
    receipt = client.get(f"/fr/receipt/{case.reference}.pdf")
    assert receipt.status_code == 200 and receipt["Content-Type"] == "application/pdf"


def test_a_clerk_files_a_complaint_at_the_counter_without_javascript(reference_data, run_worker):
    clerk = staff("counter", "PROS-TPI_CASA_PENAL", Role.AGENT)
    client = Client()
    verified_login(client, clerk)
    page = client.get("/fr/backoffice/file/complaint/").content.decode()
    fields = {
        "upload_token": page.split('name="upload_token" value="')[1].split('"')[0],
        "channel": "counter",
        "complainant_kind": "person",
        "complainant_name": "Ahmed Counter",
        "id_kind": "cin",
        "id_number": "BH445566",
        "nationality": "MA",
        "country_of_residence": "MA",
        "phone": "0655443322",
        "preferred_language": "fr",
        "accused_unknown": "on",
        "category": "theft",
        "facts": "My bag was stolen in the tram on Friday morning near the station.",
        "facts_date": "2026-11-06",
        "province": "06.141",
        "consent": "on",
    }
    # The communes of the province, asked for without JavaScript: no error shown yet.
    shown = client.post("/fr/backoffice/file/complaint/", {**fields, "show_communes": "1"})
    assert 'value="06.141.01.0"' in shown.content.decode()
    assert 'id="error-summary"' not in shown.content.decode()
    response = client.post("/fr/backoffice/file/complaint/", {**fields, "commune": "06.141.01.0"})
    assert response.status_code == 302, response.content.decode()[:3000]
    run_worker()
    response = client.post(response["Location"], {"code": last_code("+212655443322")})
    assert response.status_code == 302
    case = Case.objects.get(filer_phone="+212655443322")
    assert case.procedure == "complaint" and case.channel == "counter"
    assert case.filed_by == clerk and case.unit.code == "PROS-TPI_CASA_PENAL"
