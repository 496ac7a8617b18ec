import KerbCore

public enum DocumentsError: KerbError, Equatable {
    /// `KERB_DOCUMENTS_DIR` is missing or not an absolute path.
    case folderNotSet

    public var kind: KerbErrorKind { .unavailable }
    public var code: String { "documents.folder-not-set" }
    public var publicDetail: String { "KERB_DOCUMENTS_DIR must name the documents folder by its absolute path" }
}
