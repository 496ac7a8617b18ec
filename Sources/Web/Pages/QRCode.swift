import CQREncode
import Foundation

/// QR codes through libqrencode, drawn as SVG for the 2FA enrolment page (the otpauth URI an
/// authenticator app scans). The only file that touches the C library.
enum QRCode {
    /// An SVG image of `text`, or nil if it does not fit in a QR code. Each module is a 1×1
    /// unit square; a 4-module quiet zone surrounds the symbol as the standard requires.
    static func svg(_ text: String) -> String? {
        guard let code = QRcode_encodeString(text, 0, QR_ECLEVEL_M, QR_MODE_8, 1) else { return nil }
        defer { QRcode_free(code) }
        let width = Int(code.pointee.width)
        let quiet = 4
        let size = width + 2 * quiet
        var path = ""
        for y in 0..<width {
            for x in 0..<width where code.pointee.data[y * width + x] & 1 == 1 {
                path += "M\(x + quiet) \(y + quiet)h1v1h-1z"
            }
        }
        return """
            <svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 \(size) \(size)" shape-rendering="crispEdges">\
            <rect width="\(size)" height="\(size)" fill="#fff"/><path d="\(path)" fill="#000"/></svg>
            """
    }

    /// The same as a `data:` URI for an `<img>` (the CSP allows `data:` images only).
    static func dataURI(_ text: String) -> String? {
        svg(text).map { "data:image/svg+xml;base64," + Data($0.utf8).base64EncodedString() }
    }
}
