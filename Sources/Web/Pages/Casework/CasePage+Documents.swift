import Casework
import Foundation
import KerbCore
import Policy

/// The case page's documents: what is on file (each a download link, every opening audited) and,
/// for those who may edit the case, the upload form.
extension CasePagePresenter {
    func documentsSection(policy: LocalPolicyDocument.Documents, issues: [FieldIssue]) -> RecordPage.Section {
        var section = RecordPage.Section(heading: "Documents")
        if file.documents.isEmpty {
            section.lead = ["No documents have been uploaded to this case."]
        } else {
            section.table = Self.documentTable(file.documents, base: base)
        }
        if actor.may(.runExports) {
            section.buttons.append(
                .init(action: base + "/subject-access", label: "Download everything held about the applicant (subject access)", csrf: csrf))
        }
        if mayEdit {
            let fileIssues = issues.filter { $0.field == "file" || $0.field == "class" }
            section.form = uploadForm(policy).with(errors: fileIssues)
        }
        return section
    }

    /// The case's upload form: what the document is, the stage of the case it belongs to (the
    /// application, its review, or its badge), and the file.
    func uploadForm(_ policy: LocalPolicyDocument.Documents) -> FormModel {
        var form = Self.uploadForm(
            policy, action: base + "/documents", csrf: csrf, classes: DocumentClass.allCases.filter { $0 != .enforcement })
        form.fields.insert(
            FormField(
                name: "stage", label: "Part of the case", kind: .select,
                options: [DocumentStage.application, .review, .badge].map {
                    .init(value: $0.rawValue, label: $0.label, selected: $0 == .application)
                }), at: 1)
        return form
    }

    /// An upload form (`UploadForm`): the class of document, then the file, with the kinds and
    /// size local policy allows. Cases and enforcement cases share it.
    static func uploadForm(_ policy: LocalPolicyDocument.Documents, action: String, csrf: String, classes: [DocumentClass]) -> FormModel {
        let kinds = [
            ("PDF", policy.allowPdf, ".pdf"), ("JPEG", policy.allowJpeg, ".jpg,.jpeg"), ("PNG", policy.allowPng, ".png"),
            ("HEIC", policy.allowHeic, ".heic"),
        ].filter(\.1)
        var fileField = FormField(
            name: "file", label: "File",
            hint: "\(kinds.map(\.0).joined(separator: ", ")), up to \(policy.maxMegabytes) MB. Kerb reads the type from the file itself.",
            kind: .file)
        fileField.accept = kinds.map(\.2).joined(separator: ",")
        var form = FormModel(
            action: action, csrf: csrf,
            fields: [
                FormField(
                    name: "class", label: "What it is", kind: .select,
                    options: classes.map { .init(value: $0.rawValue, label: $0.label, selected: false) }),
                fileField,
            ], submit: "Upload document")
        form.multipart = true
        return form
    }

    /// The documents of a case or an enforcement case, each a download link under `base`.
    static func documentTable(_ documents: [CaseDocument], base: String) -> RecordPage.Table {
        .init(
            headers: ["Document", "What it is", "Added", "Size"],
            rows: documents.map { document in
                .init(cells: [
                    .init(key: "Document", value: document.fileName, href: "\(base)/documents/\(document.id.uuidString.lowercased())"),
                    .init(key: "What it is", value: document.documentClass.label),
                    .init(key: "Added", value: Formats.dateTime(document.uploadedAt) + (document.uploadedBy.map { " by \($0)" } ?? "")),
                    .init(key: "Size", value: size(document.byteCount)),
                ])
            })
    }

    static func size(_ bytes: Int) -> String {
        bytes >= 1024 * 1024 ? String(format: "%.1f MB", Double(bytes) / 1_048_576) : "\(max(1, (bytes + 1023) / 1024)) KB"
    }
}
