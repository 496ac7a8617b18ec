import Foundation

/// A horizontal bar chart as SVG, shown as an image whose alt text names every bar; the page
/// puts the same figures in a table beside it, so nothing depends on seeing the chart.
enum BarChart {
    static func dataURI(_ bars: [(label: String, value: Int)]) -> String {
        let width = 600.0
        let rowHeight = 30.0
        let labelWidth = 250.0
        let maximum = Double(max(1, bars.map(\.value).max() ?? 1))
        var body = ""
        for (index, bar) in bars.enumerated() {
            let y = Double(index) * rowHeight
            let length = (width - labelWidth - 40) * Double(bar.value) / maximum
            body += "<text x=\"0\" y=\"\(y + 20)\" font-family=\"Arial\" font-size=\"16\">\(escape(bar.label))</text>"
            body += "<rect x=\"\(labelWidth)\" y=\"\(y + 4)\" width=\"\(length)\" height=\"\(rowHeight - 8)\" fill=\"#1d70b8\"/>"
            body += "<text x=\"\(labelWidth + length + 6)\" y=\"\(y + 20)\" font-family=\"Arial\" font-size=\"16\">\(bar.value)</text>"
        }
        // Width and height give the image its natural size; the stylesheet scales it down to fit.
        let height = Double(bars.count) * rowHeight
        let svg =
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\" viewBox=\"0 0 \(width) \(height)\">\(body)</svg>"
        return "data:image/svg+xml;base64," + Data(svg.utf8).base64EncodedString()
    }

    static func altText(_ title: String, _ bars: [(label: String, value: Int)]) -> String {
        title + ": " + bars.map { "\($0.label) \($0.value)" }.joined(separator: ", ")
    }

    private static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(
            of: ">", with: "&gt;")
    }
}
