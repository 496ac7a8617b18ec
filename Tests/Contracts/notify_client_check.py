"""Drives Kerb's GOV.UK Notify fake with GOV.UK Notify's own Python client.

`GovUKNotifyContractTests` starts the fake, creates a service with one template of each kind and
runs this script with the virtualenv's python (infra/test installs notifications-python-client,
pinned). Every call below is one the client makes against the real Notify; the script fails
(exit 1, the reason on stderr) if the fake answers anything the client cannot take, and prints one
JSON object of what it saw for the Swift test to check against the fake's own record.

Arguments: BASE_URL API_KEY EMAIL_TEMPLATE_ID SMS_TEMPLATE_ID LETTER_TEMPLATE_ID WRONG_KEY
"""

import json
import sys

from notifications_python_client.errors import HTTPError
from notifications_python_client.notifications import NotificationsAPIClient


def expect_error(call, status, kind, words):
    try:
        call()
    except HTTPError as error:
        assert error.status_code == status, f"expected {status}, got {error.status_code}: {error.message}"
        first = error.message[0] if isinstance(error.message, list) else {"error": "", "message": str(error.message)}
        assert first["error"] == kind, f"expected {kind}, got {first}"
        assert words in first["message"], f"expected '{words}' in {first['message']}"
        return first["message"]
    raise AssertionError(f"expected HTTP {status} {kind}")


def main():
    base_url, api_key, email_template, sms_template, letter_template, wrong_key = sys.argv[1:7]
    client = NotificationsAPIClient(api_key, base_url=base_url)
    seen = {}

    email = client.send_email_notification(
        email_address="applicant@example.com",
        template_id=email_template,
        personalisation={"subject": "Your Blue Badge application", "body": "Dear Ada\n\nWe have your application.", "urgent": "yes"},
        reference="kerb-email-1",
    )
    assert email["reference"] == "kerb-email-1" and email["template"]["id"] == email_template, email
    assert "We have your application." in email["content"]["body"] and email["content"]["subject"] == "Your Blue Badge application"
    seen["email"] = email["id"]

    sms = client.send_sms_notification(
        phone_number="07700 900 123", template_id=sms_template, personalisation={"body": "Your badge is on its way"},
        reference="kerb-sms-1",
    )
    assert sms["content"]["body"] == "Your badge is on its way", sms
    seen["sms"] = sms["id"]

    letter = client.send_letter_notification(
        template_id=letter_template,
        personalisation={
            "address_line_1": "Ada Lovelace", "address_line_2": "12 Park Lane", "address_line_3": "London",
            "address_line_4": "w1k 1aa", "subject": "Your Blue Badge", "body": "Dear Ada",
        },
        reference="kerb-letter-1",
    )
    assert letter["reference"] == "kerb-letter-1" and letter["scheduled_for"] is None, letter
    seen["letter"] = letter["id"]

    for kind in ("email", "sms", "letter"):
        notification = client.get_notification_by_id(seen[kind])
        assert notification["id"] == seen[kind] and notification["type"] == kind, notification
        assert notification["status"] in {"created", "sending", "delivered", "accepted", "received"}, notification
        seen[kind + "_status"] = notification["status"]
    assert client.get_notification_by_id(seen["letter"])["postcode"] == "W1K 1AA"

    by_reference = client.get_all_notifications(reference="kerb-sms-1")
    assert [n["id"] for n in by_reference["notifications"]] == [seen["sms"]], by_reference
    assert "current" in by_reference["links"]
    emails = client.get_all_notifications(template_type="email")
    assert [n["id"] for n in emails["notifications"]] == [seen["email"]], emails

    template = client.get_template(email_template)
    assert template["id"] == email_template and template["type"] == "email" and template["version"] == 1, template
    assert client.get_template_version(email_template, 1)["body"] == template["body"]
    assert {t["id"] for t in client.get_all_templates()["templates"]} == {email_template, sms_template, letter_template}
    assert [t["id"] for t in client.get_all_templates("sms")["templates"]] == [sms_template]
    preview = client.post_template_preview(email_template, {"subject": "S", "body": "B", "urgent": "no"})
    assert preview["body"] == "B" and preview["subject"] == "S", preview

    seen["missing"] = expect_error(
        lambda: client.send_email_notification(email_address="a@example.com", template_id=email_template, personalisation={"body": "x"}),
        400, "BadRequestError", "Missing personalisation")
    seen["bad_phone"] = expect_error(
        lambda: client.send_sms_notification(phone_number="01632 960 001", template_id=sms_template, personalisation={"body": "x"}),
        400, "ValidationError", "phone_number")
    seen["short_address"] = expect_error(
        lambda: client.send_letter_notification(
            template_id=letter_template,
            personalisation={"address_line_1": "Ada", "address_line_2": "SW1A 1AA", "subject": "S", "body": "B"}),
        400, "ValidationError", "address")
    seen["wrong_template"] = expect_error(
        lambda: client.send_sms_notification(phone_number="07700900123", template_id=email_template, personalisation={"body": "x"}),
        400, "BadRequestError", "not suitable")
    seen["wrong_key"] = expect_error(lambda: NotificationsAPIClient(wrong_key, base_url=base_url).get_template(email_template),
                                     403, "AuthError", "Invalid token")
    seen["unknown"] = expect_error(lambda: client.get_notification_by_id("0b8b9f0c-3d0c-4a5e-9c1e-000000000000"),
                                   404, "NoResultFound", "No result found")
    print(json.dumps(seen))


if __name__ == "__main__":
    try:
        main()
    except AssertionError as failure:
        print(f"contract check failed: {failure}", file=sys.stderr)
        sys.exit(1)
