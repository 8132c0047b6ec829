/// What the assessment concluded.
public enum Decision: Sendable, Equatable {
    /// Roll back these services with this strategy. `skipped` lists suspects left alone, and why;
    /// `notes` say why the strategy differs from the one the trigger asked for, if it does.
    case rollback(strategy: Strategy, choices: [RollbackChoice], skipped: [String], notes: [String] = [])
    /// Do not roll back; tell people.
    case escalate(EscalationReason, detail: String)
    /// Nothing to do (for example the service is already being rolled back).
    case ignore(String)
}
