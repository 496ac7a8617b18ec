import Audit
import Communications
import Foundation
import Logging
import Notify
import Policy
import Storage

extension CaseService {
    /// A wording rendered with a real case's facts, as the applicant would receive it: for the
    /// templates page, before a council saves its wording. The case is opened as any case is
    /// (the reader's team scope applies, and the opening is logged); step-specific fields the case
    /// does not have yet (reasons, badge number…) take example values.
    public func previewMessage(
        _ scope: TenantScope, reference: String, kind: MessageKind, channel: NotifyChannel, wording: NotifyTemplate, as actor: Actor,
        logger: Logger
    ) async throws -> (subject: String, body: String) {
        try await access.run(scope, logger: logger) { conn in
            let row = try await Self.authorised(conn, reference, .viewCase, as: actor, lock: false, logger)
            let facts = try await CaseLetters.facts(conn, row.id, logger)
            try await ViewLog.record(RecordView(.case, reference, personID: facts.personID), by: actor.viewer, on: conn, logger: logger)
            let policy = try await LocalPolicyStore.inForce(on: conn, logger: logger)
            var values = kind.sample
            values.merge(CaseLetters.personalisation(facts, policy: policy, now: clock.now(), extra: [:])) { $1 }
            return try wording.render(values, bullets: channel != .sms)
        }
    }
}
