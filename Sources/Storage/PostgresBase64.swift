import Foundation

extension Data {
    /// Bytes read back through `encode(…, 'base64')` on an admin session (which answers text):
    /// PostgreSQL breaks that text into lines of 76 characters, which plain base64 decoding
    /// refuses.
    public init?(postgresBase64 text: String) {
        self.init(base64Encoded: text, options: .ignoreUnknownCharacters)
    }
}
