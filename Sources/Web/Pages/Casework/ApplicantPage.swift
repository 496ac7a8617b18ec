import Casework
import Foundation
import KerbCore
import Policy

/// The applicant's record and their data rights, reached from the case page: their details,
/// the correction form (for those who may edit the case), every correction made with its old
/// value, reason and who, and erasure (for those who run data rights).
struct ApplicantPagePresenter {
    let reference: String
    let details: PersonDetails
    let corrections: [Rectification]
    let actor: Actor
    let basePath: String
    let csrf: String

    var base: String { "\(basePath)/cases/\(reference)" }

    func page(
        form: ApplicantCorrectionForm?, reason: String = "", issues: [FieldIssue] = [], eraseIssues: [FieldIssue] = [], layout: Layout
    ) -> RecordPage {
        var sections = [correction(form: form, reason: reason, issues: issues), history]
        if actor.may(.runExports) { sections.append(erasure(issues: eraseIssues)) }
        let all = issues + eraseIssues
        return RecordPage(
            title: details.fullName, caption: "Applicant on case \(reference)",
            links: [.init(label: "Back to the case", href: base, current: false)],
            errors: all.isEmpty ? nil : FormModel(action: "", csrf: "", fields: [], submit: "").with(errors: all), sections: sections,
            layout: layout)
    }

    func correction(form: ApplicantCorrectionForm?, reason: String, issues: [FieldIssue]) -> RecordPage.Section {
        var section = RecordPage.Section(
            heading: "Details held",
            lines: [
                .init(key: "Full name", value: details.fullName),
                .init(key: "Date of birth", value: details.dateOfBirth.map(Formats.date) ?? "Not recorded"),
                .init(key: "National Insurance number", value: details.nino.isEmpty ? "Not recorded" : details.nino),
                .init(
                    key: "Address",
                    value: [details.addressLine1, details.addressLine2, details.town, details.postcode].filter { !$0.isEmpty }.joined(
                        separator: ", ")),
                .init(key: "Email", value: details.email.isEmpty ? "Not recorded" : details.email),
                .init(key: "Phone", value: details.phone.isEmpty ? "Not recorded" : details.phone),
            ])
        guard actor.may(.editCase) else { return section }
        let values = form ?? ApplicantCorrectionForm(details)
        section.form = FormModel(
            action: base + "/applicant", csrf: csrf,
            fields: [
                FormField(name: "full-name", label: "Full name", value: values.fullName),
                FormField(name: "date-of-birth", label: "Date of birth", hint: "For example, 27/03/1961", value: values.dateOfBirth),
                FormField(name: "nino", label: "National Insurance number (optional)", value: values.nino),
                FormField(name: "address-line1", label: "Address line 1", value: values.addressLine1),
                FormField(name: "address-line2", label: "Address line 2 (optional)", value: values.addressLine2),
                FormField(name: "town", label: "Town or city", value: values.town),
                FormField(name: "postcode", label: "Postcode", value: values.postcode),
                FormField(name: "email", label: "Email (optional)", value: values.email),
                FormField(name: "phone", label: "Phone (optional)", value: values.phone),
                FormField(
                    name: "rectify-reason", label: "Why the details are being corrected",
                    hint: "Kept with the old values and shown on the case's timeline", value: reason),
            ], submit: "Correct the details"
        ).with(errors: issues)
        section.folded = issues.isEmpty
        return section
    }

    var history: RecordPage.Section {
        var section = RecordPage.Section(heading: "Corrections")
        if corrections.isEmpty {
            section.empty = "The applicant's details have not been corrected."
        } else {
            section.table = .init(
                headers: ["Detail", "Was", "Now", "Why", "By"],
                rows: corrections.map { item in
                    .init(cells: [
                        .init(key: "Detail", value: item.field), .init(key: "Was", value: item.oldValue ?? "(blank)"),
                        .init(key: "Now", value: item.newValue ?? "(blank)"), .init(key: "Why", value: item.reason),
                        .init(key: "By", value: "\(item.by), \(Formats.dateTime(item.at))"),
                    ])
                })
        }
        return section
    }

    func erasure(issues: [FieldIssue]) -> RecordPage.Section {
        var section = RecordPage.Section(
            heading: "Erase the applicant's record",
            lead: [
                "Erasure removes their details, representatives, documents, letters and notes from every case of theirs. Case references, dates and outcomes stay, so the council's figures and audit trail still add up. It is refused while an application or review is open, a badge is live, or an enforcement case is open."
            ])
        section.form = FormModel(
            action: base + "/erase", csrf: csrf,
            fields: [
                FormField(name: "erase-reason", label: "Why the record is being erased", hint: "Recorded in the audit trail", value: "")
            ],
            submit: "Erase the applicant's record"
        ).with(errors: issues)
        section.folded = issues.isEmpty
        return section
    }
}
