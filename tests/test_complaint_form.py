"""Bad input gets a message that says what to fix, in the reader's language."""

from django.test import Client


def test_an_empty_form_says_what_to_fill_in(reference_data):
    page = Client().post("/fr/complaint/", {}).content.decode()
    for message in (
        "Saisissez votre nom complet",
        "Saisissez le numéro de votre pièce d",
        "Saisissez votre numéro de mobile",
        "Choisissez l&#x27;objet de la plainte",
        "Décrivez les faits.",
        "Saisissez la date des faits",
        "Choisissez la province ou préfecture",
        "Vous devez accepter le traitement",
    ):
        assert message in page, message
    assert "Ce champ est obligatoire" not in page


def test_short_facts_say_how_long_they_must_be(reference_data):
    page = Client().post("/en/complaint/", {"facts": "too short"}).content.decode()
    assert "at least 30 characters (you wrote 9)" in page


def test_a_commune_of_another_province_is_refused_with_its_reason(reference_data):
    page = (
        Client()
        .post("/en/complaint/", {"province": "04.421", "commune": "06.141.01.0"})
        .content.decode()
    )
    assert "Choose a commune of the chosen province." in page
