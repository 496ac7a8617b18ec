import Foundation
import KerbCatalogue
import KerbCore
import Storage

/// One local authority from the seed's Appendix A (`tenants/authorities.csv`).
public struct Authority: Sendable, Equatable {
    public let slug: Slug
    public let name: String
    public let band: Band
    public let nation: Nation
}

/// The authority catalogue shipped with the binary: every authority that may be onboarded,
/// with its pricing band and nation. Kept faithful to the seed, oddities included.
public struct AuthorityCatalogue: Sendable {
    public let authorities: [Authority]
    public let bands: [(band: Band, rank: Int, description: String)]

    public static func bundled() throws -> AuthorityCatalogue {
        func text(_ name: String) throws -> String {
            guard let url = KerbCatalogue.bundle.url(forResource: name, withExtension: "csv") else {
                throw TenancyError.catalogue("tenants/\(name).csv is missing from the bundle")
            }
            return try String(contentsOf: url, encoding: .utf8)
        }
        return try AuthorityCatalogue(authoritiesCSV: text("authorities"), bandsCSV: text("bands"))
    }

    /// Parses and validates both files; any bad row is refused with its line number.
    public init(authoritiesCSV: String, bandsCSV: String) throws {
        var authorities: [Authority] = []
        var seen = Set<String>()
        for (line, fields) in try CSV.rows(authoritiesCSV, header: ["slug", "name", "band", "nation"]) {
            guard let slug = Slug(fields[0]) else { throw TenancyError.catalogue("authorities.csv line \(line): bad slug '\(fields[0])'") }
            guard let band = Band(rawValue: fields[2]) else { throw TenancyError.catalogue("authorities.csv line \(line): bad band") }
            guard let nation = Nation(rawValue: fields[3]) else { throw TenancyError.catalogue("authorities.csv line \(line): bad nation") }
            guard !fields[1].isEmpty, seen.insert(slug.rawValue).inserted else {
                throw TenancyError.catalogue("authorities.csv line \(line): empty name or duplicate slug")
            }
            authorities.append(Authority(slug: slug, name: fields[1], band: band, nation: nation))
        }
        var bands: [(Band, Int, String)] = []
        for (line, fields) in try CSV.rows(bandsCSV, header: ["band", "rank", "description"]) {
            guard let band = Band(rawValue: fields[0]), let rank = Int(fields[1]) else {
                throw TenancyError.catalogue("bands.csv line \(line): bad band or rank")
            }
            bands.append((band, rank, fields[2]))
        }
        self.authorities = authorities
        self.bands = bands
    }

    public func authority(_ slug: String) -> Authority? { authorities.first { $0.slug.rawValue == slug } }

    /// Upserts the catalogue into the control plane so onboarding can refer to it. Authorities
    /// are never deleted here: a tenant may still point at one.
    public func sync(_ session: AdminSession) throws {
        for (band, rank, description) in bands {
            try session.query(
                """
                INSERT INTO kerb_control.bands (code, rank, description) VALUES ($1, $2::smallint, $3)
                ON CONFLICT (code) DO UPDATE SET rank = excluded.rank, description = excluded.description
                """, [band.rawValue, String(rank), description])
        }
        for authority in authorities {
            try session.query(
                """
                INSERT INTO kerb_control.authorities (slug, name, band, nation) VALUES ($1, $2, $3, $4)
                ON CONFLICT (slug) DO UPDATE SET name = excluded.name, band = excluded.band, nation = excluded.nation
                """, [authority.slug.rawValue, authority.name, authority.band.rawValue, authority.nation.rawValue])
        }
    }
}

/// A small RFC 4180 reader: enough for the two catalogue files (quoted fields, doubled quotes),
/// not worth a dependency.
enum CSV {
    static func rows(_ text: String, header: [String]) throws -> [(line: Int, fields: [String])] {
        var records: [[String]] = []
        var field = ""
        var record: [String] = []
        var inQuotes = false
        func consume(_ ch: Character) throws {
            switch ch {
            case "\"": inQuotes = true
            case ",": record.append(field); field = ""
            case "\n", "\r\n":
                record.append(field); field = ""
                records.append(record); record = []
            case "\r": break
            default: field.append(ch)
            }
        }
        var iterator = text.makeIterator()
        while let ch = iterator.next() {
            if inQuotes {
                if ch == "\"" {
                    if let next = iterator.next() {
                        if next == "\"" { field.append("\"") } else { inQuotes = false; try consume(next) }
                    } else {
                        inQuotes = false
                    }
                } else {
                    field.append(ch)
                }
            } else {
                try consume(ch)
            }
        }
        if !field.isEmpty || !record.isEmpty { record.append(field); records.append(record) }
        guard let first = records.first, first == header else {
            throw TenancyError.catalogue("expected header \(header.joined(separator: ","))")
        }
        return try records.enumerated().dropFirst().compactMap { index, fields in
            if fields == [""] { return nil }
            guard fields.count == header.count else {
                throw TenancyError.catalogue("line \(index + 1): expected \(header.count) fields, found \(fields.count)")
            }
            return (index + 1, fields)
        }
    }
}
