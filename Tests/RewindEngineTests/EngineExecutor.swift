import Foundation
import Synchronization

/// The one thread an engine under test runs on: its `run()` prefers this executor, so every task the
/// engine starts (all structured: task groups) runs here, one job at a time.
///
/// That makes "the engine is idle" a fact instead of a guess: no job queued, none running, and no store
/// call in flight (a call in flight resumes here when it returns). A scenario moves the clock only then
/// (``EngineRun/settle()``), so no task that still had work at the current time is jumped over.
final class EngineExecutor: TaskExecutor, @unchecked Sendable {
    private struct Queue {
        var jobs: [UnownedJob] = []
        var running = false
        var stopped = false
    }

    private let condition = NSCondition()
    private var queue = Queue()

    init() {
        let thread = Thread { [self] in work() }
        thread.name = "rewind-engine-under-test"
        thread.start()
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        condition.lock()
        queue.jobs.append(job)
        condition.signal()
        condition.unlock()
    }

    /// No job waiting and none running: every task of the engine is suspended.
    var isIdle: Bool {
        condition.lock()
        defer { condition.unlock() }
        return queue.jobs.isEmpty && !queue.running
    }

    /// Ends the thread once the queue is empty.
    func stop() {
        condition.lock()
        queue.stopped = true
        condition.signal()
        condition.unlock()
    }

    private func work() {
        while true {
            condition.lock()
            while queue.jobs.isEmpty && !queue.stopped { condition.wait() }
            if queue.jobs.isEmpty {
                condition.unlock()
                return
            }
            let job = queue.jobs.removeFirst()
            queue.running = true
            condition.unlock()
            job.runSynchronously(on: asUnownedTaskExecutor())
            condition.lock()
            queue.running = false
            condition.unlock()
        }
    }
}
