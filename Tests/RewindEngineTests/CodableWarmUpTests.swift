import Testing

@testable import RewindEngine

/// The start-up warm-up (``CodableWarmUp``) only helps if its samples really encode and decode: one that
/// failed would leave its type cold for the first incident, silently.
@Suite("Engine start: the Codable warm-up")
struct CodableWarmUpTests {
    @Test("every sample record round-trips through the stores' JSON encoding unchanged")
    func everySampleRoundTrips() {
        let result = CodableWarmUp.run()
        #expect(result.samples == 15)
        #expect(result.equal == result.samples)
    }
}
