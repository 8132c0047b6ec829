import Foundation

/// Decodes an intake body and turns every decoding failure into a precise ``IntakeRejection``:
/// the JSON path of the bad field (`alerts[2].status`) and what was expected there, or, for text
/// that is not JSON at all, where the parser stopped.
enum IntakeJSON {
    static func decode<Value: Decodable>(
        _ type: Value.Type, from body: [UInt8]
    )
        -> Result<Value, IntakeRejection>
    {
        do {
            return .success(try JSONDecoder().decode(type, from: Data(body)))
        } catch let error as DecodingError {
            return .failure(rejection(for: error, body: body))
        } catch {
            return .failure(notJSON(body))
        }
    }

    static func rejection(for error: DecodingError, body: [UInt8]) -> IntakeRejection {
        switch error {
        case .typeMismatch(let type, let context):
            if context.codingPath.isEmpty {
                return IntakeRejection(.invalid, "the body must be a JSON object")
            }
            return .invalid(path(context.codingPath), "expected \(describe(type))")
        case .valueNotFound(let type, let context):
            return .invalid(path(context.codingPath), "expected \(describe(type)), found null")
        case .keyNotFound(let key, let context):
            return .invalid(path(context.codingPath + [key]), "missing")
        case .dataCorrupted(let context):
            if context.codingPath.isEmpty { return notJSON(body) }
            return .invalid(path(context.codingPath), context.debugDescription)
        @unknown default:
            return notJSON(body)
        }
    }

    /// JSONDecoder on Linux says only "not valid JSON"; JSONSerialization says where.
    static func notJSON(_ body: [UInt8]) -> IntakeRejection {
        guard !body.isEmpty else {
            return IntakeRejection(.notJSON, "the body is empty; expected a JSON object")
        }
        var detail = ""
        do {
            _ = try JSONSerialization.jsonObject(with: Data(body))
        } catch {
            // The parser's message may quote what was sent (`Invalid hex encoded sequence in "…"`).
            if let description = (error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String {
                detail = ": " + sanitised(located(description, in: body), limit: 200)
            }
        }
        return IntakeRejection(.notJSON, "the body is not valid JSON" + detail)
    }

    /// Adds the line and column to the parser's "… around character N." message.
    private static func located(_ description: String, in body: [UInt8]) -> String {
        let trimmed = description.hasSuffix(".") ? String(description.dropLast()) : description
        guard let marker = trimmed.range(of: "character "),
            let offset = Int(trimmed[marker.upperBound...]),
            offset >= 0, offset <= body.count
        else { return trimmed }
        let before = body[..<offset]
        let line = before.count(where: { $0 == UInt8(ascii: "\n") }) + 1
        let column = offset - (before.lastIndex(of: UInt8(ascii: "\n")).map { $0 + 1 } ?? 0) + 1
        return "\(trimmed) (line \(line), column \(column))"
    }

    /// `alerts[2].labels.service` from a coding path. Keys the sender chose (label names) are sanitised.
    static func path(_ codingPath: [any CodingKey]) -> String {
        var text = ""
        for key in codingPath {
            if let index = key.intValue, key.stringValue.hasPrefix("Index ") {
                text += "[\(index)]"
            } else {
                text += (text.isEmpty ? "" : ".") + sanitised(key.stringValue, limit: 60)
            }
        }
        return text.isEmpty ? "the body" : text
    }

    private static func describe(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Double.Type, is Float.Type: "a number"
        case is Int.Type, is Int64.Type, is UInt64.Type: "an integer"
        case is Bool.Type: "true or false"
        default:
            String(describing: type).hasPrefix("Array") ? "an array" : "an object"
        }
    }
}
