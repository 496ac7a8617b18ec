import Casework
import Crypto
import Documents
import Foundation
import KerbCore
import NationalBlueBadge

/// How each template file becomes rows of Kerb's tables (docs/import-template.md, "Mapping").
/// New ids are made for people, applications and documents; the source's references link the
/// files together and applications keep theirs as their reference.
extension LegacyChecker {
    struct People {
        var table: PlannedTable
        /// person_ref → (id, is an organisation).
        var index: [String: (id: String, organisation: Bool)]
    }

    func people(_ rows: [LegacyRow]) -> People {
        var table = PlannedTable(
            name: "people", file: "people.csv",
            columns: [
                "id", "kind", "full_name", "date_of_birth", "nino", "address_line1", "address_line2", "town", "postcode", "email", "phone",
                "preferred_channel",
            ], rows: [])
        var index: [String: (id: String, organisation: Bool)] = [:]
        var refs: [String: Int] = [:]
        var ninos: [String: Int] = [:]
        for row in rows {
            let before = refusals.count
            let ref = text(row, "person_ref", max: 64, required: true)
            let kind = code(row, "kind", ["person", "organisation"]) ?? "person"
            let name = text(row, "full_name", max: FieldLimits.column("people.full_name") ?? 200, required: true)
            var born: String?
            if let day = day(row, "date_of_birth") {
                if kind == "organisation" {
                    refuse(row, "date_of_birth", "an organisation has no date of birth")
                } else {
                    born = Self.text(day)
                }
            }
            var nino: String?
            if let raw = row["nino"] {
                nino = UKFormats.nino(raw)
                if nino == nil { refuse(row, "nino", "is not a National Insurance number HMRC issues") }
            }
            let line1 = text(row, "address_line1", max: FieldLimits.column("people.address_line1") ?? 200, required: true)
            let line2 = text(row, "address_line2", max: FieldLimits.column("people.address_line2") ?? 200) ?? ""
            let town = text(row, "town", max: FieldLimits.column("people.town") ?? 100) ?? ""
            var postcode: String?
            if let raw = text(row, "postcode", max: FieldLimits.column("people.postcode") ?? 16, required: true) {
                postcode = UKFormats.postcode(raw)
                if postcode == nil { refuse(row, "postcode", "is not a UK postcode") }
            }
            let email = text(row, "email", max: FieldLimits.column("people.email") ?? 254)
            if let email, !email.contains("@") { refuse(row, "email", "is not an email address") }
            let phone = text(row, "phone", max: FieldLimits.column("people.phone") ?? 40)
            let channel = code(row, "preferred_channel", ["letter", "email", "sms"]) ?? "letter"
            _ = unique(row, "person_ref", ref, &refs)
            _ = unique(row, "nino", nino, &ninos)
            guard refusals.count == before, let ref, let postcode else { continue }
            let id = UUID().uuidString.lowercased()
            index[ref] = (id, kind == "organisation")
            table.rows.append(
                (row.line, [id, kind, name, born, nino, line1, line2, town, postcode, email, phone, channel]))
        }
        return People(table: table, index: index)
    }

    struct Applications {
        var table: PlannedTable
        /// application_ref → (id, person_ref's id).
        var index: [String: (id: String, person: String)]
    }

    func applications(_ rows: [LegacyRow], people: People) -> Applications {
        var table = PlannedTable(
            name: "applications", file: "applications.csv",
            columns: [
                "id", "reference", "person_id", "kind", "replace_reason", "channel", "eligibility", "status", "received_at", "decided_at",
                "existing_badge", "national_id", "for_organisation",
            ], rows: [])
        var index: [String: (id: String, person: String)] = [:]
        var refs: [String: Int] = [:]
        var nationalIDs: [String: Int] = [:]
        for row in rows {
            let before = refusals.count
            let ref = text(row, "application_ref", max: 40, required: true)
            let person = reference(row, "person_ref", in: people.index, file: "people.csv")
            let kind = code(row, "kind", ApplicationKind.allCases.map(\.rawValue), required: true)
            let replaceReason = code(row, "replace_reason", ReplacementReason.allCases.map(\.rawValue))
            if kind == ApplicationKind.replace.rawValue, replaceReason == nil, row["replace_reason"] == nil {
                refuse(row, "replace_reason", "is required for a REPLACE application")
            } else if kind != nil, kind != ApplicationKind.replace.rawValue, replaceReason != nil {
                refuse(row, "replace_reason", "is only for a REPLACE application")
            }
            let channel = code(row, "channel", Channel.allCases.map(\.rawValue), required: true)
            let status = code(row, "status", ApplicationStatus.allCases.map(\.rawValue), required: true)
            let eligibility = code(row, "eligibility", Eligibility.allCases.map(\.rawValue))
            let draft = status == ApplicationStatus.draft.rawValue
            if !draft, eligibility == nil, row["eligibility"] == nil, person?.organisation == false {
                refuse(row, "eligibility", "is required unless the application is a DRAFT or for an organisation")
            }
            let received = day(row, "received_on", required: !draft && status != nil)
            let decided = day(row, "decided_on")
            let existing = text(row, "existing_badge", max: FieldLimits.column("applications.existing_badge") ?? 20)
            if let existing, !BadgeNumber.isValid(existing) { refuse(row, "existing_badge", "is not a national badge number") }
            let nationalID = text(row, "national_id", max: 64)
            _ = unique(row, "application_ref", ref, &refs)
            _ = unique(row, "national_id", nationalID, &nationalIDs)
            guard refusals.count == before, let ref, let person else { continue }
            let id = UUID().uuidString.lowercased()
            index[ref] = (id, person.id)
            table.rows.append(
                (
                    row.line,
                    [
                        id, ref, person.id, kind, replaceReason, channel, eligibility, status, received.map(Self.text),
                        decided.map(Self.text), existing, nationalID, person.organisation ? "true" : "false",
                    ]
                ))
        }
        return Applications(table: table, index: index)
    }

    func badges(_ rows: [LegacyRow], people: People, applications: Applications) -> PlannedTable {
        var table = PlannedTable(
            name: "badges", file: "badges.csv",
            columns: [
                "badge_number", "application_id", "person_id", "eligibility", "start_date", "expiry_date", "deliver_to", "delivery_option",
                "status", "cancel_reason", "replace_reason", "replaces", "ordered_at", "issued_at",
            ], rows: [])
        let numbers = Set(rows.compactMap { $0["badge_number"] })
        var seen: [String: Int] = [:]
        var applicationsSeen: [String: Int] = [:]
        for row in rows {
            let before = refusals.count
            let number = text(row, "badge_number", max: 6, required: true)
            if let number, !BadgeNumber.isValid(number) { refuse(row, "badge_number", "is not a national badge number") }
            let person = reference(row, "person_ref", in: people.index, file: "people.csv")
            let application = reference(row, "application_ref", in: applications.index, file: "applications.csv", required: false)
            if let application, let person, application.person != person.id {
                refuse(row, "application_ref", "is another person's application")
            }
            let eligibility = code(row, "eligibility", Eligibility.allCases.map(\.rawValue), required: true)
            let start = day(row, "start_date", required: true)
            let expiry = day(row, "expiry_date", required: true)
            if let start, let expiry { checkTerm(row, start, expiry) }
            let deliverTo = code(row, "deliver_to", DeliverTo.allCases.map(\.rawValue), required: true)
            let option = code(row, "delivery_option", DeliveryOption.allCases.map(\.rawValue)) ?? DeliveryOption.standard.rawValue
            if deliverTo == DeliverTo.council.rawValue, option == DeliveryOption.fast.rawValue {
                refuse(row, "delivery_option", "FAST delivery is not to the council")
            }
            let status = code(row, "status", BadgeStatus.allCases.map(\.rawValue), required: true)
            let cancel = code(row, "cancel_reason", CancelReason.allCases.map(\.rawValue))
            let replace = code(row, "replace_reason", ReplacementReason.allCases.map(\.rawValue))
            if status != nil, (status == BadgeStatus.cancelled.rawValue) != (row["cancel_reason"] != nil) {
                refuse(row, "cancel_reason", "is required for a CANCELLED badge and only for one")
            }
            if status != nil, (status == BadgeStatus.replaced.rawValue) != (row["replace_reason"] != nil) {
                refuse(row, "replace_reason", "is required for a REPLACED badge and only for one")
            }
            let replaces = row["replaces"]
            if let replaces, !numbers.contains(replaces) || replaces == number {
                refuse(row, "replaces", "names no other badge of badges.csv")
            }
            let ordered = day(row, "ordered_on", required: true)
            let issued = day(row, "issued_on")
            _ = unique(row, "badge_number", number, &seen)
            _ = unique(row, "application_ref", row["application_ref"], &applicationsSeen)
            guard refusals.count == before, let number, let person, let start, let expiry, let ordered else { continue }
            table.rows.append(
                (
                    row.line,
                    [
                        number, application?.id, person.id, eligibility, Self.text(start), Self.text(expiry), deliverTo, option, status,
                        cancel, replace, replaces, Self.text(ordered), issued.map(Self.text),
                    ]
                ))
        }
        return table
    }

    /// A badge lasts from its start to at most three years later (the national service's rule).
    func checkTerm(_ row: LegacyRow, _ start: DateComponents, _ expiry: DateComponents) {
        guard let from = Self.calendar.date(from: start), let to = Self.calendar.date(from: expiry),
            let limit = Self.calendar.date(byAdding: .year, value: 3, to: from)
        else { return }
        if to < from {
            refuse(row, "expiry_date", "is before the start date")
        } else if to > limit {
            refuse(row, "expiry_date", "is more than three years after the start date")
        }
    }

    struct Documents {
        var table: PlannedTable
        var files: [PlannedDocument]
    }

    func documents(_ folder: URL, _ rows: [LegacyRow], _ applications: Applications) -> Documents {
        var table = PlannedTable(
            name: "documents", file: "documents.csv",
            columns: [
                "id", "application_id", "stage", "class", "file_name", "content_type", "byte_count", "sha256", "sealed_key", "uploaded_at",
            ], rows: [])
        var files: [PlannedDocument] = []
        var seen: [String: Int] = [:]
        let classes = DocumentClass.allCases.map(\.rawValue).filter { $0 != DocumentClass.enforcement.rawValue }
        for row in rows {
            let before = refusals.count
            let application = reference(row, "application_ref", in: applications.index, file: "applications.csv")
            let kind = code(row, "class", classes, required: true)
            let name = text(row, "file_name", max: 120)
            let uploaded = day(row, "uploaded_on")
            let path = text(row, "file", max: 255, required: true)
            _ = unique(row, "file", path, &seen)
            guard let path else { continue }
            guard path.hasPrefix("files/"), ExportImportSource.safe(path) else {
                refuse(row, "file", "must be a path inside the files/ folder")
                continue
            }
            guard let content = hashed(folder.appendingPathComponent(path)) else {
                refuse(row, "file", "names no file in the files/ folder")
                continue
            }
            guard content.bytes > 0, let type = content.type else {
                refuse(row, "file", "is empty or not a PDF, JPEG, PNG or HEIC file (read from its content)")
                continue
            }
            guard refusals.count == before, let application else { continue }
            let id = UUID()
            let stored = SafeFileName.make(from: name ?? path, type: type)
            table.rows.append(
                (
                    row.line,
                    [
                        id.uuidString.lowercased(), application.id, "application", kind, stored, type.mediaType, String(content.bytes),
                        "\\x" + content.sha256, "\\x00", uploaded.map(Self.text) ?? Self.text(Self.today()),
                    ]
                ))
            files.append(
                PlannedDocument(
                    id: id, url: folder.appendingPathComponent(path), file: path, sha256: content.sha256, bytes: content.bytes))
        }
        return Documents(table: table, files: files)
    }

    static func today() -> DateComponents { calendar.dateComponents([.year, .month, .day], from: Date()) }

    /// A file's SHA-256 (hex), size and type from its first bytes, read a piece at a time.
    func hashed(_ url: URL) -> (sha256: String, bytes: Int, type: DocumentType?)? {
        guard let handle = try? FileHandle(forReadingFrom: url) else { return nil }
        defer { try? handle.close() }
        var hash = SHA256()
        var bytes = 0
        var head = Data()
        while let chunk = try? handle.read(upToCount: 1 << 20), !chunk.isEmpty {
            if head.count < DocumentType.sniffBytes { head.append(chunk.prefix(DocumentType.sniffBytes - head.count)) }
            hash.update(data: chunk)
            bytes += chunk.count
        }
        return (Hex.encode(hash.finalize()), bytes, DocumentType.sniff(head))
    }
}
