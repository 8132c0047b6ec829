/// The version of Rewind this binary is: `rewind --version`, `GET /api/v1/version`.
public enum RewindVersion {
    /// Semantic version; `-dev` until a release tags it (CHANGELOG.md).
    public static let current = "0.2.0-dev"
    /// The HTTP API's version: the `/api/v1` routes.
    public static let api = "v1"
}
