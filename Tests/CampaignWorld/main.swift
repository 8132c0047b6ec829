import Foundation
import RewindSandbox

// `rewind-campaign-world`: the platforms, services and notification sinks that `scripts/kill-campaign` and
// `scripts/overload` run a real `rewind serve` against, on loopback, with their counters over HTTP.
// Test tooling only: no product depends on it.
//
//     rewind-campaign-world serve --endpoints FILE [--daemon URL --events-token TOKEN]
//     rewind-campaign-world seed --state FILE
//
// `serve` writes the endpoints (JSON) to FILE once every server listens, then serves until killed.
// `seed` records v1 of every service as live and known good in a new state file.

let arguments = Array(CommandLine.arguments.dropFirst())

func value(_ name: String) -> String? {
    guard let index = arguments.firstIndex(of: name), index + 1 < arguments.count else { return nil }
    return arguments[index + 1]
}

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("rewind-campaign-world: \(message)\n".utf8))
    exit(64)
}

switch arguments.first {
case "serve":
    guard let endpoints = value("--endpoints") else { fail("serve needs --endpoints FILE") }
    let world = CampaignWorld()
    let pusher = value("--daemon").map {
        ApplicationPusher(world: world, daemon: $0, token: value("--events-token") ?? "")
    }
    try await world.serve(writingEndpointsTo: endpoints, pusher: pusher)
case "seed":
    guard let state = value("--state") else { fail("seed needs --state FILE") }
    try await CampaignSeed.seed(statePath: state)
default:
    fail("usage: rewind-campaign-world serve --endpoints FILE [--daemon URL --events-token TOKEN] | seed --state FILE")
}
