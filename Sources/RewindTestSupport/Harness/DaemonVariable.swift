import Foundation

/// Makes `name` one of this test process's own variables — as a daemon holds its vendor tokens — for the tests
/// that check a child process never inherits it.
///
/// `scripts/test` exports every such variable before the tests start, so that a full run never calls `setenv`:
/// changing the environment while other tests start processes races with their copy of it (Foundation's
/// `Process.run` crashed the test process that way). Only a run without scripts/test sets it here.
public func daemonVariable(_ name: String, _ value: String) {
    guard ProcessInfo.processInfo.environment[name] != value else { return }
    setenv(name, value, 1)
}
