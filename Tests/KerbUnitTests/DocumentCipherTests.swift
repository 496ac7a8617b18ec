import Crypto
import Documents
import Foundation
import Testing

@testable import Keys

/// The pieces under the document store that need no database: the streaming cipher, the type
/// read from content, safe file names, and sealing with a council's data key.
@Suite struct DocumentCipherTests {
    static let segment = DocumentCipher.segmentBytes

    /// Seals `plain` fed in pieces of the given sizes, then opens the result fed in other pieces.
    static func roundTrip(_ plain: [UInt8], in pieces: [Int], openIn openPieces: Int, key: SymmetricKey, id: UUID) throws -> [UInt8] {
        let sealed = try seal(plain, in: pieces, key: key, id: id)
        return try open(sealed, in: openPieces, key: key, id: id)
    }

    static func seal(_ plain: [UInt8], in pieces: [Int], key: SymmetricKey, id: UUID) throws -> [UInt8] {
        var sealer = DocumentCipher.Sealer(key: key, documentID: id)
        var out: [UInt8] = []
        var offset = 0
        var index = 0
        while offset < plain.count {
            let size = max(1, pieces.isEmpty ? plain.count : pieces[index % pieces.count])
            let end = min(plain.count, offset + size)
            out += try sealer.add(plain[offset..<end])
            offset = end
            index += 1
        }
        out += try sealer.finish()
        return out
    }

    static func open(_ sealed: [UInt8], in piece: Int, key: SymmetricKey, id: UUID) throws -> [UInt8] {
        var opener = DocumentCipher.Opener(key: key, documentID: id)
        var out: [UInt8] = []
        var offset = 0
        while offset < sealed.count {
            let end = min(sealed.count, offset + piece)
            out += try opener.add(sealed[offset..<end])
            offset = end
        }
        out += try opener.finish()
        return out
    }

    static func bytes(_ count: Int, seed: UInt8 = 7) -> [UInt8] { (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ Int(seed)) } }

    @Test(arguments: [0, 1, 15, segment - 1, segment, segment + 1, 3 * segment + 5])
    func documentsOfEverySizeRoundTripWhateverThePieces(size: Int) throws {
        let key = SymmetricKey(size: .bits256)
        let id = UUID()
        let plain = Self.bytes(size)
        for (pieces, openPiece) in [([size + 1], size + 100), ([1000, 7, 65_536], 4096), ([3], 1), ([Self.segment], Self.segment + 16)]
        where size < 70_000 || openPiece > 1 {
            #expect(try Self.roundTrip(plain, in: pieces, openIn: openPiece, key: key, id: id) == plain)
        }
    }

    @Test func theCiphertextHoldsNoPlaintextAndDiffersEachTime() throws {
        let plain = Array(String(repeating: "Margaret Oyelaran, NI AB123456C. ", count: 5000).utf8)
        let key = SymmetricKey(size: .bits256)
        let id = UUID()
        let first = try Self.seal(plain, in: [4096], key: key, id: id)
        let second = try Self.seal(plain, in: [4096], key: key, id: id)
        #expect(Data(first).range(of: Data("Oyelaran".utf8)) == nil)
        #expect(first != second)  // a fresh nonce prefix each time
    }

    @Test func tamperingTruncationAnotherKeyOrAnotherDocumentAreRefused() throws {
        let key = SymmetricKey(size: .bits256)
        let id = UUID()
        let plain = Self.bytes(2 * Self.segment + 100)
        let sealed = try Self.seal(plain, in: [5000], key: key, id: id)

        var flipped = sealed
        flipped[40] ^= 0x01
        #expect(throws: DocumentCipher.Failure.tampered) { try Self.open(flipped, in: 8192, key: key, id: id) }
        // Cut at a segment boundary: the last remaining segment was not sealed as the last.
        let boundary = 19 + Self.segment + 16
        #expect(throws: DocumentCipher.Failure.tampered) { try Self.open(Array(sealed[..<boundary]), in: 8192, key: key, id: id) }
        #expect(throws: DocumentCipher.Failure.truncated) { try Self.open(Array(sealed[..<20]), in: 8192, key: key, id: id) }
        #expect(throws: DocumentCipher.Failure.tampered) { try Self.open(sealed, in: 8192, key: SymmetricKey(size: .bits256), id: id) }
        #expect(throws: DocumentCipher.Failure.tampered) { try Self.open(sealed, in: 8192, key: key, id: UUID()) }
        // Two segments swapped.
        let first = 19..<(19 + Self.segment + 16)
        let second = first.upperBound..<(first.upperBound + Self.segment + 16)
        let swapped = Array(sealed[..<19]) + Array(sealed[second]) + Array(sealed[first]) + Array(sealed[second.upperBound...])
        #expect(throws: DocumentCipher.Failure.tampered) { try Self.open(swapped, in: 8192, key: key, id: id) }
        #expect(throws: DocumentCipher.Failure.notADocument) {
            try Self.open(Array("not a kerb document at all".utf8), in: 64, key: key, id: id)
        }
    }

    @Test func theTypeIsReadFromTheContent() {
        #expect(DocumentType.sniff(Array("%PDF-1.4\n".utf8)) == .pdf)
        #expect(DocumentType.sniff([0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10]) == .jpeg)
        #expect(DocumentType.sniff([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0]) == .png)
        #expect(DocumentType.sniff([0, 0, 0, 0x18] + Array("ftypheic".utf8) + [0, 0, 0, 0]) == .heic)
        #expect(DocumentType.sniff([0, 0, 0, 0x18] + Array("ftypmp42".utf8) + [0, 0, 0, 0]) == nil)  // a video, not HEIC
        #expect(DocumentType.sniff(Array("<html><body>%PDF-".utf8)) == nil)
        #expect(DocumentType.sniff(Array("PK\u{03}\u{04}word/document.xml".utf8)) == nil)
        #expect(DocumentType.sniff(Array("MZ\u{90}\u{00}".utf8)) == nil)
        #expect(DocumentType.sniff([]) == nil && DocumentType.sniff([0xFF, 0xD8]) == nil)
    }

    @Test func hostileFileNamesAreNeutralised() {
        #expect(SafeFileName.make(from: "../../etc/passwd", type: .pdf) == "passwd.pdf")
        #expect(SafeFileName.make(from: "C:\\Users\\me\\scan 1.PDF", type: .pdf) == "scan 1.pdf")
        #expect(SafeFileName.make(from: "photo\u{202E}gpj.exe", type: .jpeg) == "photo_gpj.jpg")
        #expect(SafeFileName.make(from: "a\"b;c\r\nd.png", type: .png) == "a_b_c__d.png")
        #expect(SafeFileName.make(from: "", type: .heic) == "document.heic")
        #expect(SafeFileName.make(from: ".htaccess", type: .pdf) == "htaccess.pdf")
        #expect(SafeFileName.make(from: String(repeating: "x", count: 500) + ".pdf", type: .pdf).count == 104)
        #expect(SafeFileName.make(from: "Écosse évidence.pdf", type: .pdf) == "Écosse évidence.pdf")
        #expect(SafeFileName.ascii("Écosse \"x\".pdf") == "_cosse _x_.pdf")
    }

    @Test func sealedSecretsOpenOnlyWithTheirKeyVersionAndContext() throws {
        let key = DataKey.random(version: 3)
        let sealed = key.seal(Data("JBSWY3DPEHPK3PXP".utf8), context: "totp:one")
        #expect(Sealed.version(of: sealed) == 3)
        #expect(key.open(sealed, context: "totp:one") == Data("JBSWY3DPEHPK3PXP".utf8))
        #expect(key.open(sealed, context: "totp:two") == nil)
        #expect(DataKey.random(version: 3).open(sealed, context: "totp:one") == nil)
        #expect(Sealed.version(of: Data(repeating: 1, count: 20)) == nil)  // a secret from before sealing
    }

    @Test func aMasterKeyFileMustBePrivateAndHold32Bytes() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("kerb-key-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("master.key").path
        let key = MasterKey.random()
        #expect(FileManager.default.createFile(atPath: path, contents: Data(key.fileText.utf8), attributes: [.posixPermissions: 0o644]))
        #expect(throws: KeysError.masterKeyUnreadable("\(path) is readable by others (chmod 600 it)")) { try MasterKey.load(path: path) }
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: path)
        #expect(try MasterKey.load(path: path).id == key.id)
        #expect(FileManager.default.createFile(atPath: path, contents: Data("c2hvcnQ=\n".utf8), attributes: [.posixPermissions: 0o600]))
        #expect(throws: KeysError.masterKeyUnreadable("it must hold 32 bytes")) { try MasterKey.load(path: path) }
        #expect(throws: KeysError.masterKeyMissing) { try MasterKey.fromEnvironment([:]) }
    }
}

/// Random bytes where a blob, a boundary or a file's first bytes are expected: never a trap,
/// only the failures the types declare.
@Suite struct DocumentParsingFuzzTests {
    @Test func randomBlobsFailCleanly() throws {
        var generator = SystemRandomNumberGenerator()
        let key = SymmetricKey(size: .bits256)
        for _ in 0..<2_000 {
            let count = Int.random(in: 0...300, using: &generator)
            var bytes = (0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) }
            if Bool.random(using: &generator) { bytes = Array("KERBDOC1".utf8) + bytes }
            do {
                _ = try DocumentCipherTests.open(bytes, in: Int.random(in: 1...64, using: &generator), key: key, id: UUID())
                Issue.record("random bytes opened")
            } catch let failure as DocumentCipher.Failure {
                #expect([.tampered, .truncated, .notADocument].contains(failure))
            }
            _ = DocumentType.sniff(bytes)
            _ = SafeFileName.make(from: String(decoding: bytes, as: UTF8.self), type: .pdf)
        }
    }
}
