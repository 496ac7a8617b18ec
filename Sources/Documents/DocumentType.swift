import Foundation

/// The kinds of file Kerb stores, decided from the file's first bytes, never from the name or the
/// Content-Type the client sent (either can say anything). Each is sent back with its own fixed
/// media type, as an attachment.
public enum DocumentType: String, Sendable, CaseIterable, Codable {
    case pdf, jpeg, png, heic

    public var mediaType: String {
        switch self {
        case .pdf: "application/pdf"
        case .jpeg: "image/jpeg"
        case .png: "image/png"
        case .heic: "image/heic"
        }
    }

    /// The type whose media type Kerb recorded (nil for anything else).
    public init?(mediaType: String) {
        guard let type = Self.allCases.first(where: { $0.mediaType == mediaType }) else { return nil }
        self = type
    }

    public var fileExtension: String {
        switch self {
        case .pdf: "pdf"
        case .jpeg: "jpg"
        case .png: "png"
        case .heic: "heic"
        }
    }

    /// How many leading bytes `sniff` needs.
    public static let sniffBytes = 16

    /// The type the leading bytes show, or nil for anything else (HTML, scripts, executables,
    /// office documents, archives…).
    public static func sniff(_ head: some Collection<UInt8>) -> DocumentType? {
        let bytes = Array(head.prefix(sniffBytes))
        func starts(_ magic: [UInt8], at offset: Int = 0) -> Bool {
            bytes.count >= offset + magic.count && Array(bytes[offset..<offset + magic.count]) == magic
        }
        if starts(Array("%PDF-".utf8)) { return .pdf }
        if starts([0xFF, 0xD8, 0xFF]) { return .jpeg }
        if starts([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) { return .png }
        // ISO base media file: a box size, "ftyp", then a brand that says HEIF with HEVC.
        if starts(Array("ftyp".utf8), at: 4), bytes.count >= 12 {
            let brand = String(decoding: bytes[8..<12], as: UTF8.self)
            if ["heic", "heix", "heim", "heis", "hevc", "hevx", "mif1", "msf1"].contains(brand) { return .heic }
        }
        return nil
    }
}

/// A file name safe to store and to send back in Content-Disposition: the client's name with
/// paths, control and format characters, quotes and anything outside a plain set replaced, cut
/// to 100 characters, and given the extension of the type Kerb found in the content.
public enum SafeFileName {
    public static func make(from raw: String, type: DocumentType) -> String {
        // Only the last path component: "..\\..\\x.pdf" and "/etc/passwd" lose their folders.
        let last = raw.split(whereSeparator: { $0 == "/" || $0 == "\\" }).last.map(String.init) ?? ""
        var stem = last
        if let dot = stem.lastIndex(of: "."), dot > stem.startIndex { stem = String(stem[..<dot]) }
        let cleaned = String(
            stem.unicodeScalars.map { scalar -> Character in
                let allowed =
                    scalar.properties.isAlphabetic || scalar.properties.numericType != nil || " -_().,".unicodeScalars.contains(scalar)
                return allowed && scalar.value < 0x10000 ? Character(scalar) : "_"
            }
        )
        .trimmingCharacters(in: CharacterSet(charactersIn: " ._"))
        let short = String(cleaned.prefix(100))
        return (short.isEmpty ? "document" : short) + "." + type.fileExtension
    }

    /// ASCII-only fallback for the plain `filename=` parameter (RFC 6266); the full name goes in
    /// `filename*` percent-encoded.
    public static func ascii(_ name: String) -> String {
        String(name.unicodeScalars.map { $0.isASCII && $0.value >= 0x20 && $0 != "\"" && $0 != "%" ? Character($0) : "_" })
    }
}
