import Casework
import Foundation
import KerbCore
import Policy

/// The case page's sections about who works the case and who acts for its applicant: the
/// representatives recorded (advocate, attorney, appointee, parent) with what they may do, and
/// assigning to a named colleague or a team.
extension CasePagePresenter {
    /// Whether the page offers assignment (an open case this actor may edit), so the controller
    /// reads the assignees only then.
    static func assigns(_ file: CaseFile, _ actor: Actor) -> Bool {
        actor.may(.editCase, AccessTarget(team: file.row.team)) && file.row.status.isOpen
    }

    /// `assignees` are the colleagues and teams the case may go to (nil when not offered).
    func peopleSections(assignees: (people: [Officer], teams: [String])?, issues: [FieldIssue]) -> [RecordPage.Section] {
        [applicantRecord, representatives(issues: issues)]
            + (assignees.map { [assignment(people: $0.people, teams: $0.teams, issues: issues)] } ?? [])
    }

    /// Where the applicant's details are corrected (with their history) or erased.
    var applicantRecord: RecordPage.Section {
        RecordPage.Section(
            heading: "The applicant's record",
            lines: [
                .init(
                    key: "Details and corrections", value: "Check, correct or erase what is held about the applicant",
                    href: base + "/applicant")
            ])
    }

    func representatives(issues: [FieldIssue]) -> RecordPage.Section {
        var section = RecordPage.Section(
            heading: "Acting for the applicant",
            lines: file.representatives.map {
                let may = [$0.mayApply ? "apply" : nil, $0.mayReceive ? "receive letters" : nil, $0.mayDiscuss ? "discuss the case" : nil]
                    .compactMap { $0 }.joined(separator: ", ")
                return .init(
                    key: $0.fullName, value: "\($0.relationship.label); may \(may)" + ($0.contact.isEmpty ? "" : "; contact: \($0.contact)")
                )
            })
        if file.representatives.isEmpty { section.lead = ["Nobody is recorded as acting for the applicant."] }
        if mayEdit {
            section.form = representativeForm.with(errors: issues.filter { $0.field.hasPrefix("rep-") })
            section.folded = !issues.contains { $0.field.hasPrefix("rep-") }
        }
        return section
    }

    var representativeForm: FormModel {
        FormModel(
            action: base + "/representatives", csrf: csrf,
            fields: [
                FormField(name: "rep-name", label: "Full name"),
                FormField(
                    name: "rep-relationship", label: "Acts as", kind: .select,
                    options: [.init(value: "", label: "Choose", selected: true)]
                        + Representative.Relationship.allCases.map { .init(value: $0.rawValue, label: $0.label, selected: false) }),
                FormField(name: "rep-may-apply", label: "May apply for them", kind: .checkbox),
                FormField(name: "rep-may-receive", label: "May receive letters about the case", kind: .checkbox),
                FormField(name: "rep-may-discuss", label: "May discuss the case with us", kind: .checkbox),
                FormField(name: "rep-contact", label: "Contact details (optional)"),
            ], submit: "Add representative")
    }

    func assignment(people: [Officer], teams: [String], issues: [FieldIssue]) -> RecordPage.Section {
        .init(
            heading: "Assign to a colleague or team",
            form: FormModel(
                action: base + "/assign", csrf: csrf,
                fields: [
                    FormField(
                        name: "assign-user", label: "Colleague", kind: .select,
                        options: [.init(value: "", label: "Nobody (unassigned)", selected: file.row.assignedTo == nil)]
                            + people.map {
                                .init(value: $0.id.uuidString, label: $0.name, selected: $0.id == file.row.assignedTo)
                            }),
                    FormField(
                        name: "assign-team", label: "Team", kind: .select,
                        options: teams.map { .init(value: $0, label: $0, selected: $0 == file.row.team) }),
                ], submit: "Assign"
            ).with(errors: issues.filter { $0.field.hasPrefix("assign-") }),
            folded: !issues.contains { $0.field.hasPrefix("assign-") })
    }
}
