import Casework
import Enforcement
import Foundation
import KerbAPI
import Policy
import Testing

@testable import Web

/// The API's code is generated from its document; what the generator cannot see is checked here:
/// each operation's permission (read from the document at start-up), and that every value the
/// domain can hold is one the document lists, so responses never carry an undocumented value.
@Suite struct APIDocumentTests {
    @Test func everyOperationOfTheShippedDocumentDeclaresAKnownPermission() throws {
        let operations = try APIOperations.load()
        #expect(operations.permissions.count == 19)
        #expect(try operations.permission(.get, "/applications/{reference}") == .viewCase)
        #expect(try operations.permission(.post, "/applications/{reference}/decision") == .decideCase)
        #expect(try operations.permission(.get, "/mi") == .viewMI)
        #expect(throws: APIOperations.DocumentError.self) { try operations.permission(.delete, "/applications/{reference}") }
    }

    @Test func anOperationWithoutAPermissionOrWithAnUnknownOneStopsTheServerStarting() throws {
        let undeclared = """
            paths:
              /things:
                get: { operationId: listThings, responses: {} }
            """
        #expect(throws: APIOperations.DocumentError.self) { try APIOperations(yaml: undeclared) }
        let unknown = """
            paths:
              /things:
                get: { operationId: listThings, x-kerb-permission: things.view, responses: {} }
            """
        let error = #expect(throws: APIOperations.DocumentError.self) { try APIOperations(yaml: unknown) }
        #expect(error?.description == "GET /things declares an unknown permission things.view")
    }

    @Test func everyDomainValueIsOneTheDocumentLists() throws {
        func crosses<Value: CaseIterable & RawRepresentable, Wire: RawRepresentable>(_: Value.Type, _: Wire.Type) throws
        where Value.RawValue == String, Wire.RawValue == String {
            for value in Value.allCases {
                let wire = try WireValue.wire(value, as: Wire.self)
                #expect(try WireValue.domain(wire, as: Value.self) == value)
            }
        }
        try crosses(ApplicationKind.self, Components.Schemas.ApplicationKind.self)
        try crosses(ReplacementReason.self, Components.Schemas.ReplacementReason.self)
        try crosses(Channel.self, Components.Schemas.Channel.self)
        try crosses(Eligibility.self, Components.Schemas.Eligibility.self)
        try crosses(ApplicationStatus.self, Components.Schemas.ApplicationStatus.self)
        try crosses(RefusalReason.self, Components.Schemas.RefusalReason.self)
        try crosses(CancelReason.self, Components.Schemas.CancelReason.self)
        try crosses(BadgeStatus.self, Components.Schemas.Badge.StatusPayload.self)
        try crosses(DeliverTo.self, Components.Schemas.Badge.DeliverToPayload.self)
        try crosses(EnforcementStatus.self, Components.Schemas.EnforcementCase.StatusPayload.self)
        try crosses(EnforcementOutcome.self, Components.Schemas.EnforcementCase.OutcomePayload.self)
        #expect(throws: WireMismatch.self) { try WireValue.wire(BadgeStatus.ordered, as: Components.Schemas.ApplicationKind.self) }
    }

    @Test func pathIdentifiersAreCheckedBeforeTheDatabase() throws {
        #expect(try WireValue.badgeNumber("72B9HA") == "72B9HA")
        for bad in ["72B9H", "72B9HAA", "72B9HI", "72B9H\u{0}", "７２B9HA"] {
            #expect(throws: CaseworkError.noSuchBadge) { try WireValue.badgeNumber(bad) }
        }
        #expect(throws: CaseworkError.noSuchCase) {
            try WireValue.reference(String(repeating: "B", count: 33), missing: CaseworkError.noSuchCase)
        }
    }
}
