import RewindCore

// MARK: - Incremental listing (deployment tracking)

/// Where a platform listing left off, in the platform's own terms: Vercel's newest `createdAt` (ms,
/// sent back as `since=`), Railway's newest connection cursor (sent back as `before:`), a Kubernetes
/// Deployment's `metadata.resourceVersion`. Opaque to the engine: it only hands it back.
public struct ListingCursor: Sendable, Hashable, Codable, CustomStringConvertible {
    public var value: String

    public init(_ value: String) {
        self.value = value
    }

    public var description: String { value }
}

/// One incremental listing: what is new since the cursor, and the cursor for the next call.
public struct ListingPage: Sendable, Equatable {
    /// What the listing says about the live deployment.
    public enum Live: Sendable, Equatable {
        /// Nothing: the tracker reads it with `currentDeployment`.
        case unknown
        /// The platform says nothing changed since the cursor, the live deployment included (an
        /// unchanged Kubernetes `resourceVersion`): the tracker keeps the one it read last.
        case unchanged
        /// Read along the way (nil: nothing is live).
        case current(PlatformDeployment?)
    }

    /// Deployments created after the cursor — every deployment when the call had no usable cursor —
    /// newest first.
    public var deployments: [PlatformDeployment]
    /// Hand it to the next call. Nil when the platform gave nothing to resume from (the next call
    /// lists everything).
    public var cursor: ListingCursor?
    /// True when only what is new since the cursor was transferred; false for a full listing (no
    /// cursor, or the platform no longer accepted it).
    public var incremental: Bool
    public var live: Live

    public init(deployments: [PlatformDeployment], cursor: ListingCursor?, incremental: Bool, live: Live = .unknown) {
        self.deployments = deployments
        self.cursor = cursor
        self.incremental = incremental
        self.live = live
    }
}

/// A platform whose listing can resume where the previous one left off, so that the engine's
/// deployment tracker polls cheaply: a poll with nothing new transfers nothing new (an empty page,
/// an unchanged resource version).
///
/// Contract:
/// - `listDeployments(service:since: nil)` lists everything, like `listDeployments(service:)`, and
///   returns the cursor to resume from.
/// - With a cursor, only deployments created after it are returned. A cursor the platform no longer
///   accepts (expired, the deployment it names deleted) falls back to a full listing
///   (`incremental: false`) rather than failing.
/// - Errors, deadlines and redaction are those of ``PlatformProvider``.
public protocol IncrementalListing: PlatformProvider {
    func listDeployments(service: ServiceName, since cursor: ListingCursor?) async throws -> ListingPage
}
