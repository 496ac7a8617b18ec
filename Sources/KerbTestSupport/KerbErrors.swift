import KerbCore

/// The code of a Kerb error (`casework.wrong-status`, `identity.weak-password`, …): which case
/// it is, without the details it carries. Nil for any other error.
public func kerbErrorCode(_ error: any Error) -> String? {
    (error as? any KerbError)?.code
}

/// The fields an invalid-input Kerb error names, in order. Nil for any other error.
public func invalidFields(_ error: any Error) -> [String]? {
    guard let kerb = error as? any KerbError, case .invalid(let issues) = kerb.kind else { return nil }
    return issues.map(\.field)
}
