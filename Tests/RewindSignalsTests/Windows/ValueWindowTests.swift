import RewindCore
import RewindSignals
import Testing

@Suite("Value window")
struct ValueWindowTests {
    static let start = Timestamp(millisecondsSinceEpoch: 1_795_773_600_000)

    static func at(_ seconds: Int64) -> Timestamp { start + .seconds(seconds) }

    @Test("count, mean and last over a sliding window")
    func sliding() throws {
        var window = ValueWindow(window: .seconds(300), slotCount: 10)
        #expect(window.mean(at: Self.at(0)) == nil)
        #expect(window.last(at: Self.at(0)) == nil)
        // A conversion rate pushed every minute: 3.0 % for five minutes, then 2.0 %.
        for minute in Int64(0)..<5 { window.record(0.03, at: Self.at(minute * 60)) }
        #expect(window.count(at: Self.at(240)) == 5)
        #expect(abs(try #require(window.mean(at: Self.at(240))) - 0.03) < 1e-12)

        for minute in Int64(5)..<11 { window.record(0.02, at: Self.at(minute * 60)) }
        // At 600 s the window is (300, 600]: 300 s itself is in the slot that overlaps it.
        #expect(window.count(at: Self.at(600)) == 6)
        #expect(abs(try #require(window.mean(at: Self.at(600))) - 0.02) < 1e-12)
        #expect(window.last(at: Self.at(600)) == TimedValue(value: 0.02, at: Self.at(600)))
        #expect(window.count(at: Self.at(10_000)) == 0)
    }

    @Test("last is the latest by time, whatever the order of arrival")
    func lastByTime() {
        var window = ValueWindow()
        window.record(5, at: Self.at(20))
        window.record(7, at: Self.at(10))
        window.record(9, at: Self.at(40))
        window.record(11, at: Self.at(35))
        #expect(window.last(at: Self.at(60)) == TimedValue(value: 9, at: Self.at(40)))
        #expect(window.last(at: Self.at(29)) == TimedValue(value: 5, at: Self.at(20)))
        #expect(window.mean(at: Self.at(60)) == 8)
    }

    @Test("non-finite values are refused")
    func nonFinite() {
        var window = ValueWindow()
        let outcomes = [
            window.record(.nan, at: Self.at(0)), window.record(-.infinity, at: Self.at(0)),
            window.record(1_234, at: Self.at(0)),
        ]
        #expect(outcomes == [false, false, true])
        #expect(window.count(at: Self.at(0)) == 1)
    }
}
