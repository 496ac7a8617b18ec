/// Lower-case hex, for digests sent as text (the read pipeline's parameters, checksums).
/// `String(format: "%02x")` per byte goes through Foundation's formatter: measured at 4.6 % of
/// the whole machine's CPU in the API read benchmark when the API-key check used it.
public enum Hex {
    private static let digits = Array("0123456789abcdef".utf8)

    public static func encode(_ bytes: some Sequence<UInt8>) -> String {
        var text: [UInt8] = []
        text.reserveCapacity(bytes.underestimatedCount * 2)
        for byte in bytes {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: text, as: UTF8.self)
    }
}
