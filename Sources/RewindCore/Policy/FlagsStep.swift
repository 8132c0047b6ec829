/// The kill-switch step of a service's rollback (`flags:`), as a plan needs it: which flags to
/// turn off and how long that may take. The flag service itself is reached through its spec,
/// which travels beside the policy.
public struct FlagsStep: Sendable, Equatable {
    /// The flags to turn off, in order. Never empty.
    public var names: [String]
    /// The step's timeout, also the deadline of each call to the flag service.
    public var timeout: Duration

    public init(names: [String], timeout: Duration = Defaults.flagsTimeout) {
        self.names = names
        self.timeout = timeout
    }
}
