import KerbCore

/// One input on a form, with its error if the last submission had one. Rendered by the
/// `field` partial, so every form labels, hints and marks errors the same accessible way.
struct FormField: Sendable {
    enum Kind: Sendable { case text, password, number, email, checkbox, select, hidden, file }

    struct Option: Sendable {
        let value: String
        let label: String
        let selected: Bool
    }

    let name: String
    /// The element's id: the name, except for one box of a group (`reasons[]`), which has its own.
    let id: String
    /// What a ticked checkbox sends: `yes` alone, its choice in a group.
    let checkboxValue: String
    let label: String
    let hint: String?
    let value: String
    var error: String?
    let autocomplete: String?
    let checked: Bool
    let options: [Option]
    /// A note beside the field that is not a hint about its format (the NCSC advice on expiry).
    let note: String?
    // Stored, not computed: Mustache reads stored properties only.
    let inputType: String
    let isNumber: Bool
    let isCheckbox: Bool
    let isSelect: Bool
    let isHidden: Bool
    let isInput: Bool
    let isFile: Bool
    /// A file input's `accept` list (a hint to the browser's picker; the server decides).
    var accept: String = ""
    /// From `FieldLimits`, as the form parser enforces it.
    let maxLength: Int
    var describedBy: String

    init(
        name: String, label: String, hint: String? = nil, value: String = "", kind: Kind = .text, autocomplete: String? = nil,
        checked: Bool = false, options: [Option] = [], note: String? = nil, id: String? = nil, checkboxValue: String = "yes"
    ) {
        self.name = name
        self.id = id ?? name
        self.checkboxValue = checkboxValue
        self.label = label
        self.hint = hint
        self.value = value
        self.error = nil
        self.autocomplete = autocomplete
        self.checked = checked
        self.options = options
        self.note = note
        inputType =
            switch kind {
            case .password: "password"
            case .email: "email"
            case .hidden: "hidden"
            default: "text"  // numbers too (GOV.UK pattern: text with inputmode, so browsers do not alter them)
            }
        isNumber = kind == .number
        isCheckbox = kind == .checkbox
        isSelect = kind == .select
        isHidden = kind == .hidden
        isFile = kind == .file
        isInput = !(isCheckbox || isSelect || isHidden || isFile)
        maxLength = FieldLimits.form(name)
        describedBy = hint == nil ? "" : "\(self.id)-hint"
    }

    /// One box of a group of checkboxes sent as a list (`reasons[]=NO_RESPONSE&reasons[]=…`),
    /// which a form type decodes as an array.
    static func choice(of group: String, _ value: String, label: String, hint: String? = nil, checked: Bool = false) -> FormField {
        FormField(
            name: "\(group)[]", label: label, hint: hint, kind: .checkbox, checked: checked, id: "\(group)-\(value)", checkboxValue: value)
    }

    mutating func setError(_ message: String?) {
        error = message
        describedBy = [hint.map { _ in "\(id)-hint" }, message.map { _ in "\(id)-error" }].compactMap { $0 }.joined(separator: " ")
    }
}

/// A form: where it posts, its CSRF token, its fields and the error summary.
struct FormModel: Sendable {
    let action: String
    let csrf: String
    var fields: [FormField]
    let submit: String
    /// A form with a file: sent as multipart/form-data, the CSRF token first (`UploadForm`).
    var multipart = false
    var errors: [FieldIssue] = []
    var hasErrors = false

    /// Puts each issue next to its field (issues for unknown fields stay in the summary only).
    func with(errors issues: [FieldIssue]) -> FormModel {
        var copy = self
        copy.errors = issues
        copy.hasErrors = !issues.isEmpty
        for index in copy.fields.indices {
            copy.fields[index].setError(issues.first { $0.field == copy.fields[index].name }?.message)
        }
        return copy
    }
}
