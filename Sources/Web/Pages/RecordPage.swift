/// A page about one record (a badge, an enforcement case) or one list: headed sections of
/// key/value lines, tables, and the actions the person may take there. One template
/// (`record`) lays them all out the same way, so new pages need no new markup.
struct RecordPage: Sendable {
    struct Line: Sendable {
        let key: String
        let value: String
        var href: String? = nil
        /// A bar before the value, for a figure that grows towards a total (a bulk send).
        var progress: Progress? = nil
    }

    /// `value` of `max`, drawn by the browser's own `<progress>` (no script, no inline style).
    struct Progress: Sendable {
        let value: Int
        let max: Int
        let label: String
    }

    /// A one-button form (post/redirect/get), for actions that need no input.
    struct Button: Sendable {
        let action: String
        let label: String
        let csrf: String
        var secondary = true
    }

    struct Table: Sendable {
        struct Row: Sendable {
            let cells: [Line]
        }

        let headers: [String]
        let rows: [Row]
    }

    struct Section: Sendable {
        let heading: String
        var lead: [String] = []
        var lines: [Line] = []
        var table: Table? = nil
        var empty: String? = nil
        var buttons: [Button] = []
        var form: FormModel? = nil
        /// Forms rarely used sit folded under a summary, to keep the page short.
        var folded = false
    }

    let title: String
    var caption: String? = nil
    var tag: String? = nil
    var links: [Layout.Link] = []
    var errors: FormModel? = nil
    let sections: [Section]
    let layout: Layout
}
