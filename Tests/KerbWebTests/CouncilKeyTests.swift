import Casework
import Documents
import Foundation
import HummingbirdTesting
import Identity
import KerbTestSupport
import Keys
import Logging
import Storage
import Testing
import Web

/// Councils' data keys (issue 11, items 1 and 2): documents and TOTP secrets are sealed with their
/// council's key, open with nobody else's, survive the council's key rotation (which re-seals
/// small keys, not files) and the master key's, and blobs without rows are swept.
@Suite struct CouncilKeyTests {
    static let logger = Logger(label: "test")
    static let pdf = Array("%PDF-1.7\nThe applicant's medical evidence, special category data.\n%%EOF\n".utf8)

    /// One case with one uploaded document; returns the reference and the document's id.
    static func caseWithDocument(_ council: TestCouncil, by officer: TestPerson) async throws -> (String, UUID) {
        let reference = try await council.application()
        let browser = try await council.signIn(as: officer)
        try await browser.get("/cases/\(reference)")
        let answer = try await browser.upload("/cases/\(reference)/documents", [("class", "evidence")], fileName: "e.pdf", bytes: Self.pdf)
        #expect(answer.status == .seeOther)
        let id = try await TestDatabase.prepared().transaction { session in
            try session.enterTenant(council.scope)
            return try session.query("SELECT id::text FROM documents").first?[0]
        }
        return (reference, try #require(id.flatMap(UUID.init(uuidString:))))
    }

    static func sealedKey(_ scope: TenantScope, _ id: UUID) async throws -> Data {
        try await TestDatabase.prepared().transaction { session in
            try session.enterTenant(scope)
            let text = try session.query("SELECT encode(sealed_key, 'base64') FROM documents WHERE id = $1::uuid", [id.uuidString]).first?[
                0]
            return Data(base64Encoded: text ?? "", options: .ignoreUnknownCharacters) ?? Data()
        }
    }

    static func read(_ stream: DocumentStream) async throws -> [UInt8] {
        var bytes: [UInt8] = []
        for try await piece in stream { bytes += piece }
        return bytes
    }

    @Test func aDocumentOpensWithItsCouncilsKeyOnlyAndSurvivesBothRotations() async throws {
        try await withApp { client, deps in
            let council = try await TestCouncil.onboard(client, deps)
            let officer = try await council.person("Priya Shah", groups: ["Case officers"])
            let (_, id) = try await Self.caseWithDocument(council, by: officer)
            let other = try await TestCouncil.onboard(client, deps)
            let vault = DocumentVault(keys: deps.keys, store: TestDatabase.vault.blobs)
            let sealed = try await Self.sealedKey(council.scope, id)

            #expect(try await Self.read(try await vault.open(id, sealedKey: sealed, council.scope, logger: Self.logger)) == Self.pdf)
            // Another council's key does not open the document's key, so not the document either.
            await #expect(throws: KeysError.sealedUnreadable) {
                _ = try await vault.open(id, sealedKey: sealed, other.scope, logger: Self.logger)
            }

            // The council's key rotates: one document key re-sealed, the blob untouched.
            let store = try #require(TestDatabase.vault.blobs as? FolderBlobStore)
            let blob = store.root.appendingPathComponent(council.scope.schema).appendingPathComponent(id.uuidString.lowercased())
            let before = try Data(contentsOf: blob)
            let lifecycle = try await TestDatabase.lifecycle()
            let rotation = try await lifecycle.rotateKeys(council.tenant.slug.rawValue, actor: "test")
            #expect(rotation.version == 2 && rotation.documents == 1)
            #expect(try Data(contentsOf: blob) == before)
            let resealed = try await Self.sealedKey(council.scope, id)
            #expect(resealed != sealed && Sealed.version(of: resealed) == 2)
            // The page still serves it, through the new version.
            let browser = try await council.signIn(as: officer)
            let reference = try #require(
                try await TestDatabase.prepared().transaction { session in
                    try session.enterTenant(council.scope)
                    return try session.query("SELECT a.reference FROM documents d JOIN applications a ON a.id = d.application_id").first?[0]
                })
            #expect(try await browser.download("/cases/\(reference)/documents/\(id.uuidString.lowercased())").bytes == Self.pdf)
            // The old version is destroyed, in the database and (having read the new one) in the
            // web process: what it sealed no longer opens.
            let live = try await TestDatabase.adminQuery(
                "SELECT version, wrapped IS NULL FROM kerb_control.council_keys WHERE schema_name = $1 ORDER BY version",
                [council.scope.schema])
            #expect(live.map { [$0[0] ?? "", $0[1] ?? ""] } == [["1", "t"], ["2", "f"]])
            await #expect(throws: KeysError.sealedUnreadable) {
                _ = try await vault.open(id, sealedKey: sealed, council.scope, logger: Self.logger)
            }

            // The master key rotates (in a transaction rolled back at the end, so the run's other
            // councils keep their master key): afterwards the new master key opens the same data
            // key, and the old one opens nothing.
            let next = MasterKey.random()
            let reopened = try await MasterRotationCheck.run { session in
                #expect(try TestDatabase.councilKeys.rewrapAll(session, to: next) >= 3)  // both councils, supplier operations
                #expect(throws: KeysError.unwrapFailed(tenant: council.scope.schema)) {
                    try TestDatabase.councilKeys.current(session, council.scope)
                }
                let moved = try CouncilKeys(master: next).current(session, council.scope)
                return moved.open(resealed, context: "document-key:\(id.uuidString.lowercased())") != nil
            }
            #expect(reopened)
        }
    }

    @Test func totpSecretsAreSealedInTheDatabaseAndStillVerify() async throws {
        try await withApp { client, deps in
            let council = try await TestCouncil.onboard(client, deps)
            let secret = TOTP.newSecret()
            let now = Date()
            try await deps.identity.accounts.enrolTOTP(
                council.scope, userID: council.admin.id, secret: secret, now: now, logger: Self.logger)
            let stored = try await TestDatabase.prepared().transaction { session in
                try session.enterTenant(council.scope)
                return try session.query(
                    "SELECT encode(totp_secret, 'base64') FROM users WHERE id = $1::uuid", [council.admin.id.uuidString]
                )
                .first?[0]
            }
            let bytes = try #require(stored.flatMap { Data(base64Encoded: $0, options: .ignoreUnknownCharacters) })
            #expect(Sealed.version(of: bytes) == 1 && bytes.range(of: Data(secret)) == nil)
            let code = try #require(TOTP.code(secret: secret, at: now))
            #expect(
                try await deps.identity.accounts.verifyTOTP(
                    council.scope, userID: council.admin.id, code: code, now: now, logger: Self.logger))

            // After the council's key rotates, the next code still verifies.
            let rotation = try await TestDatabase.lifecycle().rotateKeys(council.tenant.slug.rawValue, actor: "test")
            #expect(rotation.secrets == 1)
            let later = now.addingTimeInterval(30)
            let next = try #require(TOTP.code(secret: secret, at: later))
            #expect(
                try await deps.identity.accounts.verifyTOTP(
                    council.scope, userID: council.admin.id, code: next, now: later, logger: Self.logger))

            // A secret written before sealing (migration 0014) is sealed by `kerb migrate`'s step.
            let legacy = TOTP.newSecret()
            let sealedCount = try await TestDatabase.prepared().transaction { session in
                try session.enterTenant(council.scope)
                try session.query(
                    "UPDATE users SET totp_secret = decode($2, 'base64'), totp_last_step = NULL WHERE id = $1::uuid",
                    [council.admin.id.uuidString, Data(legacy).base64EncodedString()])
                try session.leaveTenant()
                let key = try TestDatabase.councilKeys.current(session, council.scope)
                try session.enterTenant(council.scope)
                return try SealedSecrets.sealLegacy(session, with: key)
            }
            #expect(sealedCount == 1)
            let legacyCode = try #require(TOTP.code(secret: legacy, at: later.addingTimeInterval(30)))
            #expect(
                try await deps.identity.accounts.verifyTOTP(
                    council.scope, userID: council.admin.id, code: legacyCode, now: later.addingTimeInterval(30), logger: Self.logger))
        }
    }

    @Test func aBlobWithoutARowIsSweptAndOneWithARowIsKept() async throws {
        try await withApp { client, deps in
            let council = try await TestCouncil.onboard(client, deps)
            let officer = try await council.person("Priya Shah", groups: ["Case officers"])
            let (_, kept) = try await Self.caseWithDocument(council, by: officer)
            // As if the process died between writing the blob and committing its row.
            let vault = DocumentVault(keys: deps.keys, store: TestDatabase.vault.blobs)
            let orphan = UUID()
            _ = try await vault.store(
                [Data(Self.pdf)].async, id: orphan, council.scope, limitBytes: 1_000_000, allowed: [.pdf], logger: Self.logger)
            let names = { try await TestDatabase.vault.blobs.list(council.scope.schema).map(\.name).sorted() }
            #expect(try await names() == [kept, orphan].map { $0.uuidString.lowercased() }.sorted())
            // Not yet: an upload may still be committing.
            #expect(
                try await vault.sweep(council.scope, keeping: [kept], before: Date().addingTimeInterval(-3600), logger: Self.logger) == 0)
            #expect(try await vault.sweep(council.scope, keeping: [kept], before: Date().addingTimeInterval(1), logger: Self.logger) == 1)
            #expect(try await names() == [kept.uuidString.lowercased()])
        }
    }
}

/// Runs `check` in an admin transaction that is then rolled back, returning its answer.
enum MasterRotationCheck {
    struct RolledBack: Error { let answer: Bool }

    static func run(_ check: @escaping @Sendable (AdminSession) throws -> Bool) async throws -> Bool {
        do {
            try await TestDatabase.prepared().transaction { session in throw RolledBack(answer: try check(session)) }
        } catch let rolledBack as RolledBack {
            return rolledBack.answer
        }
        return false
    }
}

extension Array where Element: Sendable {
    /// The elements as an async sequence (a test's upload body).
    var async: AsyncThrowingStream<Element, any Error> {
        AsyncThrowingStream { continuation in
            for element in self { continuation.yield(element) }
            continuation.finish()
        }
    }
}
