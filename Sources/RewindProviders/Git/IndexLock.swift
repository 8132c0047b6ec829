import Foundation

/// git's `index.lock` in the working copy. A git killed while it writes the index (its deadline passed,
/// the daemon was SIGKILLed) leaves the file behind, and every later git command that writes the index
/// fails with "Unable to create '…/index.lock': File exists" — every rollback after it, for good.
///
/// Before a rollback's first git command, holding the working copy's ``WorkingCopyLock`` (so no git of
/// this process runs there), Rewind looks for a git process working in the working copy, on Linux
/// through `/proc/<pid>/comm` and `/proc/<pid>/cwd`:
/// - none: the lock is stale (its git is gone); it is removed, with a warning in the log;
/// - one, or another user's whose folder cannot be read: it may be writing; the lock is left alone and the rollback
///   fails as transient (the engine retries), naming the process;
/// - no `/proc` (not Linux): nothing can be told; the lock is left alone and the error says to remove it
///   by hand once no git runs.
enum IndexLock {
    enum Finding: Equatable {
        /// No `index.lock`.
        case absent
        /// An `index.lock` and no git process working in the working copy.
        case stale(path: String)
        /// An `index.lock` and a git process that may be writing it.
        case inUse(path: String, pid: Int32)
        /// An `index.lock`, and no way to tell whether a git process holds it.
        case undecidable(path: String)
    }

    static func inspect(workingCopy: String) -> Finding {
        guard let lock = lockPath(workingCopy: workingCopy), FileManager.default.fileExists(atPath: lock) else {
            return .absent
        }
        guard let processes = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else {
            return .undecidable(path: lock)
        }
        let folder = URL(fileURLWithPath: workingCopy).resolvingSymlinksInPath().path
        for entry in processes {
            guard let pid = Int32(entry), pid != getpid(), isGit(pid), !hasEnded(pid) else { continue }
            guard let cwd = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/cwd") else {
                // Gone since it was listed, or ending (a zombie has no folder): not holding anything.
                guard kill(pid, 0) == 0 || errno == EPERM, !hasEnded(pid), !isOurs(pid) else { continue }
                // Another user's git: where it works cannot be read, so it may be here.
                return .inUse(path: lock, pid: pid)
            }
            if cwd == folder || cwd.hasPrefix(folder + "/") { return .inUse(path: lock, pid: pid) }
        }
        return .stale(path: lock)
    }

    /// `<working copy>/.git/index.lock`, or the lock in the folder a `.git` file points at (a worktree).
    static func lockPath(workingCopy: String) -> String? {
        let dotGit = URL(fileURLWithPath: workingCopy).appendingPathComponent(".git")
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: dotGit.path, isDirectory: &isFolder) else { return nil }
        if isFolder.boolValue { return dotGit.appendingPathComponent("index.lock").path }
        guard let text = try? String(contentsOf: dotGit, encoding: .utf8),
            let line = text.split(whereSeparator: \.isNewline).first, line.hasPrefix("gitdir:")
        else { return nil }
        let target = line.dropFirst("gitdir:".count).trimmingCharacters(in: .whitespaces)
        let folder =
            target.hasPrefix("/")
            ? URL(fileURLWithPath: target) : URL(fileURLWithPath: workingCopy).appendingPathComponent(target)
        return folder.standardizedFileURL.appendingPathComponent("index.lock").path
    }

    /// Whether the process has ended and waits to be reaped (state `Z` or `X` in `/proc/<pid>/stat`), or is
    /// gone: an ended git holds no lock.
    private static func hasEnded(_ pid: Int32) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let end = stat.lastIndex(of: ")")
        else { return true }
        let state = stat[stat.index(after: end)...].drop(while: { $0 == " " }).first
        return state == "Z" || state == "X"
    }

    /// Whether the process runs as this process's user: then its folder is readable while it lives, so an
    /// unreadable one means it is ending.
    private static func isOurs(_ pid: Int32) -> Bool {
        var info = stat()
        return stat("/proc/\(pid)", &info) == 0 && info.st_uid == getuid()
    }

    /// `git`, or one of its helpers (`git-remote-https`, …), by the process's command name.
    private static func isGit(_ pid: Int32) -> Bool {
        guard let name = try? String(contentsOfFile: "/proc/\(pid)/comm", encoding: .utf8) else { return false }
        let command = name.trimmingCharacters(in: .whitespacesAndNewlines)
        return command == "git" || command.hasPrefix("git-")
    }
}
