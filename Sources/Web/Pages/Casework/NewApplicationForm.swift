import Casework
import Foundation

/// The form an officer takes an application in on: who applies, then what they apply for. Sent
/// back filled in, with its issues, when it does not go through; `confirm` adds the box to say a
/// possible duplicate is someone new.
enum NewApplicationForm {
    static func model(_ form: IntakeForm?, confirm: Bool = false, basePath: String, csrf: String) -> FormModel {
        var fields = applicantFields(form) + applicationFields(form)
        if confirm {
            fields.append(FormField(name: "confirm-new", label: "This is a different person: create a new record", kind: .checkbox))
        }
        return FormModel(action: basePath + "/cases/new", csrf: csrf, fields: fields, submit: "Save application")
    }

    /// The applicant: a person or an organisation, where they live, how to reach them.
    static func applicantFields(_ form: IntakeForm?) -> [FormField] {
        [
            FormField(
                name: "applicant-kind", label: "The applicant is", kind: .select,
                options: options(
                    form?.applicantKind?.rawValue,
                    [("person", "A person"), ("organisation", "An organisation (badge for vehicles carrying disabled people)")])),
            FormField(name: "full-name", label: "Applicant's full name, or the organisation's name", value: form?.fullName ?? ""),
            FormField(
                name: "date-of-birth", label: "Date of birth (people only)", hint: "For example, 27/03/1961", value: form?.dateOfBirth ?? ""
            ),
            FormField(
                name: "nino", label: "National Insurance number (optional)", hint: "For example, QQ 12 34 56 C", value: form?.nino ?? ""),
            FormField(name: "address-line1", label: "Address line 1", value: form?.addressLine1 ?? ""),
            FormField(name: "address-line2", label: "Address line 2 (optional)", value: form?.addressLine2 ?? ""),
            FormField(name: "town", label: "Town or city", value: form?.town ?? ""),
            FormField(name: "postcode", label: "Postcode", value: form?.postcode ?? ""),
            FormField(name: "email", label: "Email (optional)", value: form?.email ?? "", kind: .email),
            FormField(name: "phone", label: "Phone (optional)", value: form?.phone ?? ""),
            FormField(
                name: "preferred-channel", label: "How they prefer to be contacted", kind: .select,
                options: options(form?.preferredChannel, [("letter", "Letter"), ("email", "Email"), ("sms", "Text message")])),
            FormField(name: "vulnerable", label: "The applicant is vulnerable", kind: .checkbox, checked: form?.vulnerable ?? false),
        ]
    }

    /// The application: its type, the badge it renews or replaces, how it arrived, eligibility.
    static func applicationFields(_ form: IntakeForm?) -> [FormField] {
        [
            FormField(
                name: "kind", label: "Type of application", kind: .select,
                options: options(form?.kind?.rawValue, ApplicationKind.allCases.map { ($0.rawValue, $0.label) })),
            FormField(
                name: "replace-reason", label: "Reason for a replacement", kind: .select,
                options: options(
                    form?.replaceReason?.rawValue, [("", "Not a replacement")] + ReplacementReason.allCases.map { ($0.rawValue, $0.label) })
            ),
            FormField(
                name: "existing-badge", label: "Badge number being renewed or replaced", hint: "6 characters; required for a replacement",
                value: form?.existingBadge ?? ""),
            FormField(
                name: "channel", label: "How the application arrived", kind: .select,
                options: options(form?.channel?.rawValue, Channel.allCases.map { ($0.rawValue, $0.label) })),
            FormField(
                name: "eligibility", label: "Eligibility", kind: .select,
                options: options(
                    form?.eligibility?.rawValue,
                    [("", "Not known yet (draft), or an organisation")]
                        + Eligibility.allCases.map { ($0.rawValue, $0.label) })),
            FormField(name: "draft", label: "Save as a draft to finish later", kind: .checkbox, checked: form?.draft ?? false),
        ]
    }

    static func options(_ chosen: String?, _ choices: [(String, String)]) -> [FormField.Option] {
        choices.map { FormField.Option(value: $0.0, label: $0.1, selected: chosen == $0.0) }
    }
}
