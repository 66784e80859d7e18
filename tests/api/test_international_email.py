"""An address with an internationalised domain is taken on every door and mailed to its ASCII
(IDNA) form, which SendGrid's v3 API and relays take; one whose part before the @ is not ASCII
(it would need SMTPUTF8) is refused in one line naming the field, in the page's language too."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from api.web.i18n import Translator
from api.web.problems import explain
from engine import Language, RuleViolated
from engine.models import Subscription, Ticket
from engine.text import clean_email
from tests.api.conftest import Api, email_on_every_door
from tests.api.test_open311 import post as open311_post

_NOT_DELIVERABLE = (
    "email cannot be delivered: the part before the @ may only have ASCII letters, digits and "
    "signs such as . _ - + (the part after the @ may be in any script)"
)


@pytest.mark.parametrize("address", ["warga@bücher.de", "用户@example.com", "ǅemal@例え.テスト"])
def test_an_address_needing_smtputf8_is_refused_in_one_line_on_every_door(
    api: Api, address: str
) -> None:
    if address == "warga@bücher.de":  # the domain alone is fine: taken (the control case)
        code = api.submit()["code"]
        taken = api.client.post(f"/api/v1/reports/{code}/supporters", json={"email": address})
        assert taken.status_code == 200, taken.text
        return
    answers = email_on_every_door(api, address)
    for response in answers:
        assert response.status_code == 422, response.text
        assert response.json()["code"] == "email_not_deliverable", response.text
        assert response.json()["detail"] == _NOT_DELIVERABLE
        assert response.json()["params"] == {"field": "email"}
        assert address not in response.text
    open311 = open311_post(api, api_key=api.keys["client"], email=address)
    assert open311.status_code == 400, open311.text
    assert open311.json() == [{"code": 400, "description": _NOT_DELIVERABLE}]


def test_the_pages_say_why_an_address_cannot_be_delivered_in_both_languages() -> None:
    with pytest.raises(RuleViolated) as refused:
        clean_email("用户@example.com", field="email")
    assert explain(Translator(Language.ID), refused.value, {"email": "email"}) == (
        'Alamat di kotak "alamat e-mail" tidak dapat dikirimi: sebelum tanda @ hanya boleh huruf '
        "Latin tanpa aksen, angka, dan tanda seperti . _ - + (sesudah @ boleh huruf apa saja)."
    )
    assert explain(Translator(Language.EN), refused.value, {"email": "email"}) == (
        'The address in the "e-mail" box cannot be delivered: before the @ only Latin letters '
        "without accents, digits and signs such as . _ - + can be used (after the @ any "
        "script is fine)."
    )


def test_an_internationalised_domain_is_mailed_to_its_ascii_form_on_every_door(
    api: Api,
) -> None:
    reported = api.submit(email="warga@contoh.香港")
    code = reported["code"]
    follower = api.client.post(
        f"/api/v1/reports/{code}/supporters", json={"email": "tetangga@BÜCHER.de"}
    )
    assert follower.status_code == 200, follower.text
    filed = open311_post(api, api_key=api.keys["client"], email="siti@jakarta.香港")
    assert filed.status_code == 201, filed.text
    assert api.act(code, "verify", "admin").status_code == 200

    assert [to for to, _l, _s in api.mails(code, "follow_confirmation")] == [
        "tetangga@xn--bcher-kva.de"
    ]
    api.clock.tick(minutes=30)
    assert "warga@contoh.xn--j6w193g" in {to for to, _l, _s in api.mails(code)}
    with api.transactions.read() as session:
        stored = session.scalar(
            select(Ticket.reporter_email).where(
                Ticket.code == filed.json()[0]["service_request_id"]
            )
        )
    assert stored == "siti@jakarta.xn--j6w193g"


def test_one_address_written_with_its_unicode_or_its_punycode_domain_is_one_follower(
    api: Api,
) -> None:
    code = api.submit()["code"]
    token = {"X-Reporter-Token": api.tokens[code]}
    for address in ("ani@contoh.香港", "ani@contoh.xn--j6w193g", "ani@CONTOH.香港"):
        added = api.client.post(
            f"/api/v1/reports/{code}/subscriptions", json={"email": address}, headers=token
        )
        assert added.status_code == 200, added.text
    with api.transactions.read() as session:
        followers = session.scalars(
            select(Subscription.email)
            .join(Ticket, Ticket.id == Subscription.ticket_id)
            .where(Ticket.code == code)
        ).all()
    assert followers == ["ani@contoh.xn--j6w193g"]
    assert len(api.mails(code, "follow_confirmation")) == 1  # one address, one mail a day
    gone = api.client.delete(f"/api/v1/reports/{code}/subscriptions/ani@contoh.香港", headers=token)
    assert gone.status_code == 200, gone.text
    with api.transactions.read() as session:
        assert session.scalars(
            select(Subscription.active)
            .join(Ticket, Ticket.id == Subscription.ticket_id)
            .where(Ticket.code == code)
        ).all() == [False]
