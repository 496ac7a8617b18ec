extension AsyncSequence where Self: Sendable {
    /// Drains the sequence (PostgresNIO's decoded rows have no `collect()`), so a failing
    /// statement surfaces instead of being dropped.
    public func all() async throws -> [Element] {
        var result: [Element] = []
        for try await element in self { result.append(element) }
        return result
    }
}
