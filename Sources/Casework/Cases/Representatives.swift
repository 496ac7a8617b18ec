import Foundation
import KerbCore
import Logging
import Policy
import PostgresNIO
import Storage

/// Someone acting for an applicant (an advocate, an attorney, an appointee, a parent) and what
/// they may do: apply for them, receive letters about the case, discuss it with the council.
public struct Representative: Sendable, Equatable {
    public enum Relationship: String, Sendable, CaseIterable, Codable {
        case advocate, powerOfAttorney = "power-of-attorney", appointee, parent, other

        public var label: String {
            switch self {
            case .advocate: "Advocate"
            case .powerOfAttorney: "Lasting power of attorney"
            case .appointee: "Appointee"
            case .parent: "Parent or guardian"
            case .other: "Other"
            }
        }
    }

    public let id: UUID
    public let fullName: String
    public let relationship: Relationship
    public let mayApply: Bool
    public let mayReceive: Bool
    public let mayDiscuss: Bool
    public let contact: String
}

extension CaseService {
    /// Records someone acting for the case's applicant; on the case's timeline.
    public func addRepresentative(
        _ scope: TenantScope, reference: String, fullName: String, relationship: Representative.Relationship?, mayApply: Bool,
        mayReceive: Bool, mayDiscuss: Bool, contact: String, as actor: Actor, logger: Logger
    ) async throws {
        let officer = actor.officer
        let name = fullName.trimmingCharacters(in: .whitespaces)
        var issues: [FieldIssue] = []
        if name.isEmpty { issues.append(FieldIssue(field: "rep-name", message: "Enter the representative's full name")) }
        if relationship == nil { issues.append(FieldIssue(field: "rep-relationship", message: "Choose how they act for the applicant")) }
        if !(mayApply || mayReceive || mayDiscuss) {
            issues.append(FieldIssue(field: "rep-may-discuss", message: "Choose at least one thing they may do"))
        }
        guard issues.isEmpty, let relationship else { throw CaseworkError.invalid(issues) }
        try await change(
            scope, reference, .editCase, as: actor, allowed: Set(ApplicationStatus.allCases), action: "given a representative",
            audit: "case.representative", logger: logger
        ) { conn, id, _, _ in
            _ = try await conn.query(
                """
                INSERT INTO representatives (person_id, full_name, relationship, may_apply, may_receive, may_discuss, contact)
                SELECT person_id, \(name), \(relationship.rawValue), \(mayApply), \(mayReceive), \(mayDiscuss), \(contact)
                FROM applications WHERE id = \(id)
                """, logger: logger)
            let detail = "\(name), \(relationship.label.lowercased())"
            try await Self.event(conn, id, officer, "representative", detail, logger)
            return detail
        }
    }

    static func representatives(_ conn: PostgresConnection, applicationID: UUID, _ logger: Logger) async throws -> [Representative] {
        var result: [Representative] = []
        for try await row in try await conn.query(
            """
            SELECT r.id, r.full_name, r.relationship, r.may_apply, r.may_receive, r.may_discuss, r.contact
            FROM representatives r JOIN applications a ON a.person_id = r.person_id WHERE a.id = \(applicationID)
            ORDER BY r.created_at
            """, logger: logger
        ).decode((UUID, String, String, Bool, Bool, Bool, String).self) {
            result.append(
                Representative(
                    id: row.0, fullName: row.1, relationship: Representative.Relationship(rawValue: row.2) ?? .other, mayApply: row.3,
                    mayReceive: row.4, mayDiscuss: row.5, contact: row.6))
        }
        return result
    }

    /// People a case may be assigned to: active staff whose groups let them view cases, and the
    /// council's teams.
    public func assignees(_ scope: TenantScope, logger: Logger) async throws -> (people: [Officer], teams: [String]) {
        try await database.transaction(scope, logger: logger) { conn in
            var people: [Officer] = []
            for try await (id, name) in try await conn.query(
                """
                SELECT DISTINCT u.id, u.full_name FROM users u
                JOIN group_memberships m ON m.user_id = u.id AND m.status = 'active'
                JOIN access_groups g ON g.id = m.group_id AND 'case.view' = ANY(g.permissions)
                WHERE u.status = 'active' AND u.kind = 'person' ORDER BY u.full_name
                """, logger: logger
            ).decode((UUID, String).self) { people.append(Officer(id: id, name: name)) }
            var teams: [String] = []
            for try await team in try await conn.query("SELECT name FROM teams ORDER BY name", logger: logger).decode(String.self) {
                teams.append(team)
            }
            return (people, teams)
        }
    }
}
