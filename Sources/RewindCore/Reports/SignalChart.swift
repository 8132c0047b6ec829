/// A small, dependency-free SVG line chart: a series, a horizontal threshold and vertical markers.
public enum SignalChart {
    public static func svg(
        series: [(at: Timestamp, value: Double)], threshold: Double?, markers: [(at: Timestamp, label: String)],
        title: String, yLabel: String, width: Int = 720, height: Int = 260
    ) -> String {
        let left = 56.0
        let right = 16.0
        let top = 32.0
        let bottom = 36.0
        let plotWidth = Double(width) - left - right
        let plotHeight = Double(height) - top - bottom
        let times = series.map(\.at.millisecondsSinceEpoch) + markers.map(\.at.millisecondsSinceEpoch)
        let minT = Double(times.min() ?? 0)
        let maxT = Double(max(times.max() ?? 1, (times.min() ?? 0) + 1))
        let maxV = max(series.map(\.value).max() ?? 1, (threshold ?? 0) * 1.25, 1)
        func x(_ t: Timestamp) -> Double {
            left + (Double(t.millisecondsSinceEpoch) - minT) / (maxT - minT) * plotWidth
        }
        func y(_ v: Double) -> Double { top + plotHeight - v / maxV * plotHeight }
        func f(_ v: Double) -> String { String(Int((v * 10).rounded())).withDecimal }
        var parts: [String] = []
        parts.append(
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(width)\" height=\"\(height)\" viewBox=\"0 0 \(width) \(height)\" font-family=\"sans-serif\" font-size=\"11\">"
        )
        parts.append("<rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>")
        parts.append("<text x=\"\(f(left))\" y=\"18\" font-size=\"13\" font-weight=\"bold\">\(escape(title))</text>")
        parts.append(
            "<line x1=\"\(f(left))\" y1=\"\(f(top + plotHeight))\" x2=\"\(f(left + plotWidth))\" y2=\"\(f(top + plotHeight))\" stroke=\"#333\"/>"
        )
        parts.append(
            "<line x1=\"\(f(left))\" y1=\"\(f(top))\" x2=\"\(f(left))\" y2=\"\(f(top + plotHeight))\" stroke=\"#333\"/>"
        )
        parts.append(
            "<text x=\"12\" y=\"\(f(top + plotHeight / 2))\" transform=\"rotate(-90 12 \(f(top + plotHeight / 2)))\" text-anchor=\"middle\">\(escape(yLabel))</text>"
        )
        for tick in stride(from: 0.0, through: maxV, by: max(1, (maxV / 4).rounded(.up))) {
            parts.append("<text x=\"\(f(left - 6))\" y=\"\(f(y(tick) + 4))\" text-anchor=\"end\">\(Int(tick))</text>")
        }
        if let threshold {
            parts.append(
                "<line x1=\"\(f(left))\" y1=\"\(f(y(threshold)))\" x2=\"\(f(left + plotWidth))\" y2=\"\(f(y(threshold)))\" stroke=\"#d33\" stroke-dasharray=\"6 4\"/>"
            )
            parts.append(
                "<text x=\"\(f(left + plotWidth - 4))\" y=\"\(f(y(threshold) - 4))\" text-anchor=\"end\" fill=\"#d33\">threshold \(Int(threshold))</text>"
            )
        }
        for (index, marker) in markers.enumerated() {
            let mx = x(marker.at)
            parts.append(
                "<line x1=\"\(f(mx))\" y1=\"\(f(top))\" x2=\"\(f(mx))\" y2=\"\(f(top + plotHeight))\" stroke=\"#888\" stroke-dasharray=\"2 3\"/>"
            )
            let nearRight = mx > left + plotWidth * 0.85
            parts.append(
                "<text x=\"\(f(nearRight ? mx - 3 : mx + 3))\" y=\"\(f(top + 12 + Double(index % 3) * 12))\" fill=\"#555\"\(nearRight ? " text-anchor=\"end\"" : "")>\(escape(marker.label))</text>"
            )
        }
        if !series.isEmpty {
            // A step line: the run length holds until the next observation changes it.
            var steps: [String] = []
            for (index, point) in series.enumerated() {
                if index > 0 { steps.append("\(f(x(point.at))),\(f(y(series[index - 1].value)))") }
                steps.append("\(f(x(point.at))),\(f(y(point.value)))")
            }
            let points = steps.joined(separator: " ")
            parts.append("<polyline points=\"\(points)\" fill=\"none\" stroke=\"#2563eb\" stroke-width=\"2\"/>")
            for point in series {
                parts.append(
                    "<circle cx=\"\(f(x(point.at)))\" cy=\"\(f(y(point.value)))\" r=\"2.5\" fill=\"\(point.value > 0 ? "#d33" : "#16a34a")\"/>"
                )
            }
        } else {
            parts.append(
                "<text x=\"\(f(left + plotWidth / 2))\" y=\"\(f(top + plotHeight / 2))\" text-anchor=\"middle\" fill=\"#888\">no samples recorded</text>"
            )
        }
        if let first = series.first?.at ?? markers.first?.at {
            parts.append("<text x=\"\(f(left))\" y=\"\(height - 12)\">\(escape(first.iso8601))</text>")
            parts.append(
                "<text x=\"\(f(left + plotWidth))\" y=\"\(height - 12)\" text-anchor=\"end\">+\(escape(Duration.milliseconds(Int64(maxT - minT)).rewindDescription))</text>"
            )
        }
        parts.append("</svg>")
        return parts.joined(separator: "\n")
    }

    static func escape(_ text: String) -> String { HTML.escape(text) }
}

extension String {
    /// "123" (tenths) → "12.3".
    var withDecimal: String {
        let negative = hasPrefix("-")
        var digits = negative ? String(dropFirst()) : self
        while digits.count < 2 { digits = "0" + digits }
        return (negative ? "-" : "") + digits.dropLast() + "." + digits.suffix(1)
    }
}
