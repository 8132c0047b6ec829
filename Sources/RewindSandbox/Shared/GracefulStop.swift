import Logging
import ServiceLifecycle

/// Runs `server` (a Hummingbird application, or any service) until the calling task is cancelled or a graceful
/// shutdown reaches it, and stops it gracefully either way: the listening socket closes first, every connection
/// already accepted is answered or closed, and only a server still busy after `patience` (a handler that never
/// answers, on purpose) is cancelled.
///
/// Cancelling a Hummingbird server outright can trap in swift-nio 2.101: a connection accepted just as the accept
/// loop is cancelled is dropped before it became active, and NIO's writer for it asserts ("Deinited
/// NIOAsyncWriter without calling finish()"). The tests start and stop hundreds of loopback servers while daemons
/// under test keep connecting to them, and one such trap ends the whole test process.
public func runStoppingGracefully(
    _ server: some Service, logger: Logger, patience: Duration = .seconds(2)
) async throws {
    let group = ServiceGroup(services: [server], logger: logger)
    // Unstructured, so that the caller's cancellation reaches the server as a graceful shutdown, not as a cancel.
    let running = Task { try await group.run() }
    let stop: @Sendable () -> Void = {
        Task {
            await group.triggerGracefulShutdown()
            try? await Task.sleep(for: patience)
            running.cancel()
        }
    }
    try await withGracefulShutdownHandler {
        try await withTaskCancellationHandler {
            try await running.value
        } onCancel: {
            stop()
        }
    } onGracefulShutdown: {
        stop()
    }
}
