import Casework
import Foundation
import Hummingbird
import Identity
import KerbCore
import Policy

/// Who works a case and who acts for its applicant: assigning to a named colleague or a team,
/// and recording representatives (advocate, attorney, appointee, parent) with what they may do.
extension CaseworkController {
    func peopleSections(
        _ context: SignedInRequestContext, _ actor: Actor, reference: String, file: CaseFile, issues: [FieldIssue]
    ) async throws -> [RecordPage.Section] {
        let base = "\(context.basePath)/cases/\(reference)"
        let mayEdit = actor.may(.editCase, AccessTarget(team: file.row.team))
        var sections: [RecordPage.Section] = []
        var representatives = RecordPage.Section(
            heading: "Acting for the applicant",
            lines: file.representatives.map {
                let may = [$0.mayApply ? "apply" : nil, $0.mayReceive ? "receive letters" : nil, $0.mayDiscuss ? "discuss the case" : nil]
                    .compactMap { $0 }.joined(separator: ", ")
                return .init(
                    key: $0.fullName, value: "\($0.relationship.label); may \(may)" + ($0.contact.isEmpty ? "" : "; contact: \($0.contact)")
                )
            })
        if file.representatives.isEmpty { representatives.lead = ["Nobody is recorded as acting for the applicant."] }
        if mayEdit {
            representatives.form = FormModel(
                action: base + "/representatives", csrf: context.csrfToken,
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
                ], submit: "Add representative"
            ).with(errors: issues.filter { $0.field.hasPrefix("rep-") })
            representatives.folded = !issues.contains { $0.field.hasPrefix("rep-") }
        }
        sections.append(representatives)
        if mayEdit, file.row.status.isOpen {
            let (people, teams) = try await cases.assignees(context.tenant.scope, logger: context.logger)
            sections.append(
                .init(
                    heading: "Assign to a colleague or team",
                    form: FormModel(
                        action: base + "/assign", csrf: context.csrfToken,
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
                    folded: !issues.contains { $0.field.hasPrefix("assign-") }))
        }
        return sections
    }

    @Sendable func assign(_ request: Request, context: SignedInRequestContext) async throws -> Response {
        let (actor, reference, form) = try await Self.input(request, context, as: AssignmentForm.self)
        let (people, _) = try await cases.assignees(context.tenant.scope, logger: context.logger)
        let colleague = UUID(uuidString: form.user).map { id in people.first { $0.id == id } ?? Officer(id: id, name: "") }
        let team = form.team.isEmpty ? nil : form.team
        do {
            try await cases.assign(
                context.tenant.scope, reference: reference, to: colleague, team: team, as: actor, logger: context.logger)
        } catch CaseworkError.invalid(let issues) {
            return try await render(context, actor, reference: reference, badgeIssues: issues, status: .unprocessableContent)
        }
        return Self.backToCase(context, reference)
    }

    @Sendable func addRepresentative(_ request: Request, context: SignedInRequestContext) async throws -> Response {
        let (actor, reference, form) = try await Self.input(request, context, as: RepresentativeForm.self)
        do {
            try await cases.addRepresentative(
                context.tenant.scope, reference: reference, fullName: form.name, relationship: form.relationship,
                mayApply: form.mayApply, mayReceive: form.mayReceive, mayDiscuss: form.mayDiscuss, contact: form.contact, as: actor,
                logger: context.logger)
        } catch CaseworkError.invalid(let issues) {
            return try await render(context, actor, reference: reference, badgeIssues: issues, status: .unprocessableContent)
        }
        return Self.backToCase(context, reference)
    }
}
